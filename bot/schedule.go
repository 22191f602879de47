package bot

import (
	"sync"
	"time"

	"github.com/newsbot-vn/newsbot/storage"
)

// locations caches loaded time zones: loading one reads the zone database.
var locations sync.Map // name → *time.Location

// chatLocation is the chat's time zone, Vietnam's when unknown.
func chatLocation(c storage.Chat) *time.Location {
	name := c.TZ
	if name == "" {
		name = "Asia/Ho_Chi_Minh"
	}
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = VietnamTime()
	}
	locations.Store(name, loc)
	return loc
}

// atMinute returns the moment minute (after local midnight) falls on the
// local day of t.
func atMinute(t time.Time, minute int) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, minute/60, minute%60, 0, 0, t.Location())
}

// nextDigest returns the chat's first digest time strictly after t: the next
// full hour for "hourly", the next DigestAt for "daily".
func nextDigest(c storage.Chat, t time.Time) time.Time {
	lt := t.In(chatLocation(c))
	if c.Digest == "hourly" {
		return lt.Truncate(time.Hour).Add(time.Hour)
	}
	next := atMinute(lt, c.DigestAt)
	if !next.After(lt) {
		next = atMinute(lt.AddDate(0, 0, 1), c.DigestAt)
	}
	return next
}

// quietEnd returns when the quiet window that contains t ends, or the zero
// time when t is outside quiet hours (or the chat has none). Windows may
// cross midnight ("22:00-06:00").
func quietEnd(c storage.Chat, t time.Time) time.Time {
	if c.QuietStart < 0 || c.QuietStart == c.QuietEnd {
		return time.Time{}
	}
	lt := t.In(chatLocation(c))
	m := lt.Hour()*60 + lt.Minute()
	start, end := c.QuietStart, c.QuietEnd
	var in bool
	if start < end {
		in = m >= start && m < end
	} else {
		in = m >= start || m < end
	}
	if !in {
		return time.Time{}
	}
	if m < end {
		return atMinute(lt, end)
	}
	return atMinute(lt.AddDate(0, 0, 1), end)
}

// parseClock parses "HH:MM" into minutes after midnight.
func parseClock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		if t, err = time.Parse("15:04", "0"+s); err != nil {
			return 0, false
		}
	}
	return t.Hour()*60 + t.Minute(), true
}

// clock formats minutes after midnight as "HH:MM".
func clock(minute int) string {
	return time.Date(2000, 1, 1, minute/60, minute%60, 0, 0, time.UTC).Format("15:04")
}
