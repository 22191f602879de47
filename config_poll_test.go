package main

import (
	"strings"
	"testing"
)

func TestValidatePollLimits(t *testing.T) {
	cfg := defaultConfig()
	if cfg.Poll.MaxNewPerPoll != 50 || cfg.Poll.MaxFailures != 50 {
		t.Errorf("defaults: max_new_per_poll %d, max_failures %d, want 50 and 50", cfg.Poll.MaxNewPerPoll, cfg.Poll.MaxFailures)
	}
	cfg.Poll.MaxNewPerPoll, cfg.Poll.MaxFailures = 0, -1
	problems := strings.Join(cfg.Validate(), "\n")
	for _, key := range []string{"poll.max_new_per_poll", "poll.max_failures"} {
		if !strings.Contains(problems, key) {
			t.Errorf("Validate does not name %s:\n%s", key, problems)
		}
	}
}
