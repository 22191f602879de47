package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestDeliveryMaxAge(t *testing.T) {
	cfg, err := loadConfig(writeConfig(t, "database: x.db\n"))
	if err != nil || cfg.Delivery.MaxAge != 24*time.Hour {
		t.Fatalf("default delivery.max_age = %s, %v; want 24h", cfg.Delivery.MaxAge, err)
	}
	cfg, err = loadConfig(writeConfig(t, "delivery: {max_age: 90m}\n"))
	if err != nil || cfg.Delivery.MaxAge != 90*time.Minute {
		t.Fatalf("delivery.max_age: 90m read as %s, %v", cfg.Delivery.MaxAge, err)
	}
	for _, bad := range []string{"0s", "-1h"} {
		var out syncBuffer
		code := run(context.Background(), []string{"-config", writeConfig(t, "delivery: {max_age: "+bad+"}\n"), "-check"}, strings.NewReader(""), &out, &out)
		if code != 1 || !strings.Contains(out.String(), "delivery.max_age") {
			t.Errorf("delivery.max_age: %s: exit %d, output:\n%s", bad, code, out.String())
		}
	}
}
