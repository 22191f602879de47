package bot

import (
	"context"
	"testing"
)

type namedPlatform struct {
	Platform
	name string
}

func (p namedPlatform) Name() string { return p.name }

func (p namedPlatform) Send(context.Context, Message) (string, error) { return "", nil }

// TestPaidBroadcastRates: paid broadcasts lift Telegram's rate to 1 000
// messages a second, mark Telegram's sends alone, and leave Zalo's rate and
// the caller's map of platforms as they were.
func TestPaidBroadcastRates(t *testing.T) {
	platforms := map[string]Platform{"telegram": namedPlatform{name: "telegram"}, "zalo": namedPlatform{name: "zalo"}}
	for _, paid := range []bool{false, true} {
		d := NewDispatcher(DispatcherOptions{Platforms: platforms, RatePerSecond: 25, PlatformRates: map[string]float64{"zalo": 10}, PaidBroadcast: paid})
		want := 25.0
		if paid {
			want = PaidBroadcastRate
		}
		if got := d.limits["telegram"].rate; got != want {
			t.Errorf("paid=%v: telegram rate %v, want %v", paid, got, want)
		}
		if got := d.limits["zalo"].rate; got != 10 {
			t.Errorf("paid=%v: zalo rate %v, want 10", paid, got)
		}
		_, wrapped := d.opts.Platforms["telegram"].(paidBroadcasts)
		if wrapped != paid {
			t.Errorf("paid=%v: telegram sends marked paid: %v", paid, wrapped)
		}
		if _, ok := d.opts.Platforms["zalo"].(paidBroadcasts); ok {
			t.Errorf("paid=%v: zalo sends marked paid", paid)
		}
	}
	if _, ok := platforms["telegram"].(paidBroadcasts); ok {
		t.Error("the caller's map was changed")
	}
}

type plainPlatform struct{ namedPlatform }

func (plainPlatform) CanEdit() bool { return false }

// TestPaidBroadcastsKeepAbilities: the paid wrapper does not hide what the
// platform underneath can do: one that cannot edit is still not edited,
// and one still connecting is still not known.
func TestPaidBroadcastsKeepAbilities(t *testing.T) {
	wrapped := withPaidBroadcasts(map[string]Platform{"telegram": plainPlatform{namedPlatform{name: "telegram"}}})
	if can, known := canEdit(wrapped["telegram"]); can || !known {
		t.Errorf("canEdit through the paid wrapper = %v, %v; want false, true", can, known)
	}
	connecting := withPaidBroadcasts(map[string]Platform{"telegram": Starting(StartOptions{Name: "telegram"})})
	if _, known := canEdit(connecting["telegram"]); known {
		t.Error("a platform still connecting is known through the paid wrapper")
	}
}
