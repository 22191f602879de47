package main

import (
	"strings"
	"testing"
	"time"
)

func TestCommandsConfig(t *testing.T) {
	def := defaultConfig().Commands
	if def.Workers != 8 || def.Timeout != 10*time.Second || def.PerMinute != 20 {
		t.Errorf("defaults = %+v, want 8 workers, 10s, 20 a minute", def)
	}
	for _, tc := range []struct {
		name string
		edit func(*CommandsConfig)
		bad  string // the key named, "" when valid
	}{
		{"defaults", func(*CommandsConfig) {}, ""},
		{"no limit", func(c *CommandsConfig) { c.PerMinute = 0 }, ""},
		{"no workers", func(c *CommandsConfig) { c.Workers = 0 }, "commands.workers"},
		{"short timeout", func(c *CommandsConfig) { c.Timeout = 10 * time.Millisecond }, "commands.timeout"},
		{"negative budget", func(c *CommandsConfig) { c.PerMinute = -1 }, "commands.per_minute"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaultConfig()
			tc.edit(&cfg.Commands)
			problems := strings.Join(cfg.Validate(), "\n")
			if tc.bad == "" && strings.Contains(problems, "commands.") {
				t.Errorf("problems: %s", problems)
			}
			if tc.bad != "" && !strings.Contains(problems, tc.bad+":") {
				t.Errorf("problems %q do not name %s", problems, tc.bad)
			}
		})
	}
	path := writeConfig(t, "commands: {workers: 3, timeout: 4s, per_minute: 5}\n")
	cfg, err := loadConfig(path)
	if err != nil || cfg.Commands != (CommandsConfig{Workers: 3, Timeout: 4 * time.Second, PerMinute: 5}) {
		t.Errorf("loaded %+v, %v", cfg.Commands, err)
	}
}
