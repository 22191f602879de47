package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/newsbot-vn/newsbot/storage"
)

// yamlKey is a key of the file as a person reads it: its dotted path
// ("poll.workers", "feeds[2].url"), its line and its scalar value.
type yamlKey struct {
	path  string
	line  int
	value string // the value when it is a scalar
	key   string // the last segment, as written
}

// yamlKeys lists every key of the document, in order.
func yamlKeys(data []byte) []yamlKey {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	var out []yamlKey
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				yk := yamlKey{path: p, line: k.Line, key: k.Value}
				if v.Kind == yaml.ScalarNode {
					yk.value = v.Value
				}
				out = append(out, yk)
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(doc.Content[0], "")
	return out
}

var (
	yamlLine      = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownField  = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	cannotDecode  = regexp.MustCompile("^cannot unmarshal !!\\w+ `(.*)` into (\\S+)$")
	daysDuration  = regexp.MustCompile(`^(\d+)\s*(d|day|days|ngày)$`)
	weeksDuration = regexp.MustCompile(`^(\d+)\s*(w|week|weeks|tuần)$`)
)

// yamlProblems rewords the decoder's errors for people: each names its key
// and says what to write instead.
func yamlProblems(data []byte, err error) []string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	keys := yamlKeys(data)
	var out []string
	for _, e := range te.Errors {
		m := yamlLine.FindStringSubmatch(e)
		if m == nil {
			out = append(out, e)
			continue
		}
		line, _ := strconv.Atoi(m[1])
		msg := m[2]
		if u := unknownField.FindStringSubmatch(msg); u != nil {
			k := findKey(keys, line, func(k yamlKey) bool { return k.key == u[1] })
			path := k.path
			if path == "" {
				path = u[1]
			}
			text := fmt.Sprintf("%s (line %d): unknown key %q", path, line, u[1])
			if s := suggestKey(path); s != "" {
				text += fmt.Sprintf("; did you mean %q?", s)
			}
			out = append(out, text)
			continue
		}
		if c := cannotDecode.FindStringSubmatch(msg); c != nil {
			k := findKey(keys, line, func(k yamlKey) bool { return k.value == c[1] })
			path := k.path
			if path == "" {
				path = "line " + m[1]
			} else {
				path += fmt.Sprintf(" (line %d)", line)
			}
			out = append(out, path+": "+typeFix(c[1], c[2]))
			continue
		}
		out = append(out, fmt.Sprintf("line %d: %s", line, msg))
	}
	return out
}

// findKey returns the key on line that match accepts (the first key of the
// line when none does).
func findKey(keys []yamlKey, line int, match func(yamlKey) bool) yamlKey {
	var first yamlKey
	for _, k := range keys {
		if k.line != line {
			continue
		}
		if match(k) {
			return k
		}
		if first.path == "" {
			first = k
		}
	}
	return first
}

// typeFix says what is wrong with value for a field of Go type typ, and
// what to write.
func typeFix(value, typ string) string {
	switch typ {
	case "time.Duration":
		v := strings.ToLower(strings.TrimSpace(value))
		if m := daysDuration.FindStringSubmatch(v); m != nil {
			n, _ := strconv.Atoi(m[1])
			return fmt.Sprintf("%q is not a duration; use %dh", value, n*24)
		}
		if m := weeksDuration.FindStringSubmatch(v); m != nil {
			n, _ := strconv.Atoi(m[1])
			return fmt.Sprintf("%q is not a duration; use %dh", value, n*24*7)
		}
		return fmt.Sprintf("%q is not a duration; use a number with a unit: 30s, 5m, 2h or 48h", value)
	case "int", "int64", "int32", "uint", "uint64":
		return fmt.Sprintf("%q is not a whole number; write digits, e.g. 4", value)
	case "float64", "float32":
		return fmt.Sprintf("%q is not a number; write digits, e.g. 10 or 2.5", value)
	case "bool":
		return fmt.Sprintf("%q is not true or false", value)
	case "string":
		return fmt.Sprintf("%q must be text; put it in quotes", value)
	}
	if strings.HasPrefix(typ, "[]") {
		return fmt.Sprintf("%q must be a list, e.g. [a, b]", value)
	}
	return fmt.Sprintf("%q is not a valid value here", value)
}

// suggestKey returns the known key nearest to the unknown one at path
// (same parent), or "" when none is close.
func suggestKey(path string) string {
	parent, last := "", path
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent, last = path[:i], path[i+1:]
	}
	t := reflect.TypeOf(Config{})
	if parent != "" {
		for _, seg := range strings.Split(parent, ".") {
			if i := strings.IndexByte(seg, '['); i >= 0 {
				seg = seg[:i]
			}
			f, ok := fieldByTag(t, seg)
			if !ok {
				return ""
			}
			t = f.Type
			for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
		}
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	best, bestD := "", 3
	for i := range t.NumField() {
		name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		if d := editDistance(strings.ToLower(last), name); d < bestD {
			best, bestD = name, d
		}
	}
	if best == "" {
		return ""
	}
	if parent != "" {
		return parent + "." + best
	}
	return best
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := range t.NumField() {
		if strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0] == tag {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

var (
	telegramToken = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	zaloToken     = regexp.MustCompile(`^[0-9A-Za-z]+:[A-Za-z0-9_-]+$`)
)

// webhookPath is the path a webhook is served at (see mountWebhook).
func webhookPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}

// Warnings returns what in the configuration is allowed but probably not
// meant, each naming its key; -check prints them, the bot logs them.
func (c Config) Warnings() []string {
	var out []string
	warn := func(key, format string, args ...any) {
		out = append(out, key+": "+fmt.Sprintf(format, args...))
	}
	every := func(spec string) time.Duration {
		rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every ")
		if !ok {
			return 0
		}
		d, _ := time.ParseDuration(strings.TrimSpace(rest))
		return d
	}
	// At about 50 ms a send, the sends in flight bound the rate far below
	// the 1 000 a second paid broadcasts allow.
	if c.Delivery.PaidBroadcast && c.Delivery.Workers < paidBroadcastWorkers {
		warn("delivery.workers", "%d sends in flight reach about %d messages a second (at 50 ms a send), far below the 1 000 a second delivery.paid_broadcast pays for: raise it to %d or more",
			c.Delivery.Workers, c.Delivery.Workers*20, paidBroadcastWorkers)
	}
	for i, f := range c.Feeds {
		key := fmt.Sprintf("feeds[%d]", i)
		u, err := url.Parse(f.URL)
		if err != nil || u.Hostname() == "" {
			continue
		}
		private := isPrivateHost(u.Hostname())
		spec, specKey := f.Schedule, key+".schedule"
		if spec == "" {
			spec, specKey = c.Poll.Schedule, "poll.schedule"
		}
		if d := every(spec); d > 0 && d < time.Minute && !private {
			warn(specKey, "%q polls %s more often than once a minute; a public news site may block the bot: use @every 1m or more", spec, u.Hostname())
		}
		if private && !c.Poll.AllowPrivateAddresses {
			warn(key+".url", "%s is a loopback or private address, which the bot refuses while poll.allow_private_addresses is false: set it to true, or use a public address", u.Hostname())
		}
	}
	return out
}

// isPrivateHost reports whether host is localhost or a loopback, private
// or link-local address literal.
func isPrivateHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified())
}

// Bounds of stories.window: under an hour, the outlets that carry a story
// later than its first are missed; past thirty days, unrelated news of
// the same place and kind ends up one story.
const (
	minStoryWindow = time.Hour
	maxStoryWindow = 30 * 24 * time.Hour
)

// validateStories checks the stories: block (Validate).
func validateStories(s StoriesConfig, bad func(key, format string, args ...any)) {
	if s.Window < minStoryWindow || s.Window > maxStoryWindow {
		bad("stories.window", "must be between 1h and 720h (30 days), e.g. 72h, got %s", s.Window)
	}
	if !(s.Threshold > 0 && s.Threshold <= 1) {
		bad("stories.threshold", "must be a similarity above 0 and at most 1 (%g by default), got %g", storage.DefaultStoryThreshold, s.Threshold)
	}
}

// paidBroadcastWorkers is the least delivery.workers that makes paid
// broadcasts worth their price (see Warnings).
const paidBroadcastWorkers = 32

// StorageConfig is the storage: block.
type StorageConfig struct {
	// Retention is how long articles and finished deliveries are kept:
	// days ("180d"), a Go duration ("4320h"), or "off" (or 0) to keep
	// everything. See parseRetention.
	Retention string `yaml:"retention"`
}

// parseRetention reads storage.retention: whole days ("180d", "180 ngày"),
// weeks ("26w"), a Go duration ("4320h"), or "off" or 0 for none (0). A
// retention under a day is refused: a daily pass would delete what the
// same day's alerts are about.
func parseRetention(s string) (time.Duration, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	switch v {
	case "":
		return 0, fmt.Errorf("is empty; write days (180d), or off to keep everything")
	case "0", "off", "false", "no":
		return 0, nil
	}
	var d time.Duration
	if m := daysDuration.FindStringSubmatch(v); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100*365 {
			return 0, fmt.Errorf("%q is too long; at most 36500d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else if m := weeksDuration.FindStringSubmatch(v); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100*52 {
			return 0, fmt.Errorf("%q is too long; at most 5200w", s)
		}
		d = time.Duration(n) * 7 * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, fmt.Errorf("%q is not a retention; write days (180d), a duration (4320h) or off", s)
		}
	}
	if d == 0 {
		return 0, nil // "0d", "0h": off
	}
	if d < 24*time.Hour {
		return 0, fmt.Errorf("%q is shorter than a day; write at least 1d, or off to keep everything", s)
	}
	return d, nil
}
