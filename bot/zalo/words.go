package zalo

import (
	"strings"
	"unicode"

	"github.com/newsbot-vn/newsbot/storage"
)

// phrase is a few words people type to a Zalo bot instead of a command.
type phrase struct {
	words   []string // folded
	command string
	args    bool // words may follow, passed on as the command's arguments
}

// phrases are tried in order, so a longer phrase comes before its prefix.
var phrases = []phrase{
	{[]string{"huy", "dang", "ky"}, "/unsubscribe", true},
	{[]string{"huy", "dang", "ki"}, "/unsubscribe", true},
	{[]string{"dang", "ky"}, "/subscribe", true},
	{[]string{"dang", "ki"}, "/subscribe", true},
	{[]string{"huy"}, "/unsubscribe", true},
	{[]string{"tim", "kiem"}, "/search", true},
	{[]string{"tim"}, "/search", true},
	{[]string{"tin", "moi", "nhat"}, "/latest", false},
	{[]string{"tin", "moi"}, "/latest", false},
	{[]string{"tro", "giup"}, "/help", false},
	{[]string{"huong", "dan"}, "/help", false},
	{[]string{"xem", "tiep"}, "/more", false},
}

// CommandFromWords turns the Vietnamese words people type to a Zalo bot
// into the command they mean: "đăng ký KEY" → "/subscribe KEY", "hủy KEY"
// or "hủy đăng ký KEY" → "/unsubscribe KEY", "tìm WORDS" → "/search WORDS",
// "tin mới" → "/latest", "trợ giúp" → "/help", "xem tiếp" → "/more".
// Diacritics, case and punctuation around the words are optional; the
// arguments are passed on as typed. Anything else, a "/command" included,
// is returned unchanged.
func CommandFromWords(text string) string {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" || strings.HasPrefix(trimmed, "/") {
		return text
	}
	spans := fieldSpans(trimmed)
	folded := make([]string, len(spans))
	for i, sp := range spans {
		folded[i] = strings.TrimFunc(storage.Fold(trimmed[sp[0]:sp[1]]), isPunct)
	}
	for _, p := range phrases {
		if !hasPrefix(folded, p.words) {
			continue
		}
		n := len(p.words)
		rest := ""
		if n < len(spans) {
			rest = strings.TrimLeft(trimmed[spans[n-1][1]:], " \t\n:,;-–—") // "đăng ký: thoi-su"
			rest = strings.TrimSpace(rest)
		}
		if rest == "" {
			return p.command
		}
		if !p.args {
			return text // "tin mới hôm nay" is a sentence, not a command
		}
		return p.command + " " + rest
	}
	return text
}

func hasPrefix(words, prefix []string) bool {
	if len(words) < len(prefix) {
		return false
	}
	for i, w := range prefix {
		if words[i] != w {
			return false
		}
	}
	return true
}

// fieldSpans returns the byte ranges of s's space-separated fields.
func fieldSpans(s string) [][2]int {
	var spans [][2]int
	start := -1
	for i, r := range s {
		switch {
		case unicode.IsSpace(r) && start >= 0:
			spans = append(spans, [2]int{start, i})
			start = -1
		case !unicode.IsSpace(r) && start < 0:
			start = i
		}
	}
	if start >= 0 {
		spans = append(spans, [2]int{start, len(s)})
	}
	return spans
}

func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }
