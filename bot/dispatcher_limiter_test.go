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
// send let go as soon as it permits, reaching the platform after a delay
// and answered after as much again, each way with its own jitter, and
// checks what the platform sees: never more than rate arrivals in any
// one-second window, and the rate kept over ten seconds.
func TestLimiterRateAndWindow(t *testing.T) {
	for _, tc := range []struct {
		name           string
		oneWay, jitter time.Duration
		least          float64 // of the rate
	}{
		{"loopback", 100 * time.Microsecond, 200 * time.Microsecond, 0.98},
		{"busy machine", 100 * time.Microsecond, 20 * time.Millisecond, 0.95},
		{"far platform", 75 * time.Millisecond, 5 * time.Millisecond, 0.98},
	} {
		for _, rate := range []float64{10, 25, 30, 200, 1000} {
			t.Run(fmt.Sprintf("%s %g/s", tc.name, rate), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(rate)))
				way := func() time.Duration { return tc.oneWay + time.Duration(rng.Int64N(int64(tc.jitter)+1)) }
				l := newLimiter(rate)
				start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
				now := start
				var starts, arrivals []time.Time
				type answer struct {
					at time.Time
					s  slot
				}
				var answers []answer // in flight, by answer time
				for now.Sub(start) < 10*time.Second {
					// Answers that came by now are seen first.
					slices.SortFunc(answers, func(a, b answer) int { return a.at.Compare(b.at) })
					for len(answers) > 0 && !answers[0].at.After(now) {
						answers[0].s.arrived(answers[0].at)
						answers = answers[1:]
					}
					wait, s := l.take(now)
					if wait > 0 {
						next := now.Add(wait)
						if len(answers) > 0 && answers[0].at.Before(next) {
							next = answers[0].at
						}
						now = next
						continue
					}
					there := way()
					starts = append(starts, now)
					arrivals = append(arrivals, now.Add(there))
					answers = append(answers, answer{at: now.Add(there + way()), s: s})
				}
				slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
				if most := mostInASecond(arrivals); most > int(rate) {
					t.Errorf("%d sends arrived within one second, rate %g", most, rate)
				}
				// The rate once the shortest round trip is known (minTrips
				// answers): before, the window counts from the answers.
				steady := starts[len(starts)/2:]
				got := float64(len(steady)-1) / steady[len(steady)-1].Sub(steady[0]).Seconds()
				if got < tc.least*rate {
					t.Errorf("sent at %.2f/s, %.1f %% of the rate %g", got, 100*got/rate, rate)
				}
			})
		}
	}
}

// TestLimiterCountsFromArrival checks that the window counts from when a
// send reached the platform at the latest, as its answer tells, and that a
// send whose answer does not come (a timeout) holds the window for
// arrivalBound, not for as long as the answer takes.
func TestLimiterCountsFromArrival(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		seen     int           // answers before, each in 3ms
		answered time.Duration // after the first send's start; 0: never
		want     time.Duration // the third send's wait at 500ms
	}{
		{"answered at the shortest round trip", minTrips, 3 * time.Millisecond, 500*time.Millisecond + tripMargin},
		{"answered 80ms late", minTrips, 83 * time.Millisecond, 580*time.Millisecond + tripMargin},
		{"too few round trips seen to take one off", minTrips - 2, 3 * time.Millisecond, 503 * time.Millisecond},
		{"never answered", minTrips, 0, 500*time.Millisecond + arrivalBound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLimiter(2) // a window of two sends, 500ms apart
			for i := range tc.seen {
				at := t0.Add(time.Duration(i-tc.seen) * time.Second)
				_, s := l.take(at)
				s.arrived(at.Add(3 * time.Millisecond))
			}
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
