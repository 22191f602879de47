package bot

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLimiterRateAndWindow drives the limiter on a simulated clock, each
// send let go as soon as it permits and answered after a latency, and
// checks what the platform would see: never more than rate arrivals in any
// one-second window, however the way there jitters within the answer's
// time, and at least 98 % of the rate over ten seconds.
func TestLimiterRateAndWindow(t *testing.T) {
	for _, rate := range []float64{10, 25, 30, 200, 1000} {
		for _, latency := range []time.Duration{time.Millisecond, 10 * time.Millisecond} {
			t.Run(fmt.Sprintf("%g/s, answers in %s", rate, latency), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(rate)))
				l := newLimiter(rate)
				start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
				now := start
				var starts, arrivals []time.Time
				for now.Sub(start) < 10*time.Second {
					wait, s := l.take(now)
					if wait > 0 {
						now = now.Add(wait)
						continue
					}
					starts = append(starts, now)
					// The platform gets it any time before its answer.
					arrivals = append(arrivals, now.Add(time.Duration(rng.Int64N(int64(latency)+1))))
					s.arrived(now.Add(latency))
				}
				slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
				if most := mostInASecond(arrivals); most > int(rate) {
					t.Errorf("%d sends arrived within one second, rate %g", most, rate)
				}
				got := float64(len(starts)-1) / starts[len(starts)-1].Sub(starts[0]).Seconds()
				if got < 0.98*rate {
					t.Errorf("sent at %.2f/s, %.1f %% of the rate %g", got, 100*got/rate, rate)
				}
			})
		}
	}
}

// TestLimiterCountsFromArrival checks that the window counts from when a
// send's answer came, and that a send whose answer does not come (a
// timeout) holds the window for arrivalBound, not for as long as the
// answer takes.
func TestLimiterCountsFromArrival(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		answered time.Duration // after the first send's start; 0: never
		want     time.Duration // the third send's wait at 500ms
	}{
		{"answered in 3ms", 3 * time.Millisecond, 503 * time.Millisecond},
		{"never answered", 0, 500*time.Millisecond + arrivalBound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLimiter(2) // a window of two sends, 500ms apart
			wait, first := l.take(t0)
			if wait != 0 {
				t.Fatalf("the first send waits %s", wait)
			}
			if tc.answered > 0 {
				first.arrived(t0.Add(tc.answered))
			}
			at := t0.Add(500 * time.Millisecond)
			if wait, _ := l.take(at); wait != 0 {
				t.Fatalf("the second send waits %s at 500ms", wait)
			}
			if wait, _ := l.take(at); wait != tc.want {
				t.Fatalf("the third send waits %s, want %s: a second after the first reached the platform", wait, tc.want)
			}
		})
	}
}

// mostInASecond is the most times (sorted) within any one-second window.
func mostInASecond(times []time.Time) int {
	most, j := 0, 0
	for i := range times {
		for j < len(times) && times[j].Sub(times[i]) < time.Second {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

// TestLazyWithLogsTheAttributes checks that the deliver's logger, whose
// attributes are added only when a record is logged, still logs them.
func TestLazyWithLogsTheAttributes(t *testing.T) {
	var buf strings.Builder
	log := lazyWith(slog.New(slog.NewTextHandler(&buf, nil)), slog.Int64("delivery", 7), slog.String("chat", "telegram:1"))
	log.Warn("bot: rate limited", "retry_after", 3)
	log.With("more", true).Info("x")
	got := buf.String()
	for _, want := range []string{`msg="bot: rate limited" retry_after=3 delivery=7 chat=telegram:1`, `delivery=7 chat=telegram:1 more=true`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
}
