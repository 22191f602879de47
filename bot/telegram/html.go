package telegram

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// textLen is the length Telegram holds HTML to once tags are dropped and
// entities decoded, in UTF-16 code units as its limits are counted (for
// Vietnamese in NFC that is one per letter).
func textLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			if j := strings.IndexByte(s[i:], '>'); j >= 0 {
				i += j + 1
				continue
			}
		case '&':
			if r, size := entity(s[i:]); size > 0 {
				n += width(r)
				i += size
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += width(r)
		i += size
	}
	return n
}

// width is a rune's length in UTF-16 code units; an invalid one counts 1.
func width(r rune) int { return max(utf16.RuneLen(r), 1) }

// entity decodes the entity Telegram knows at the start of s — &lt; &gt;
// &amp; &quot; or a numeric one — and returns its rune and length in bytes,
// or length 0. Telegram leaves other '&' as they are.
func entity(s string) (rune, int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 10 {
		return 0, 0
	}
	switch name := s[1:end]; name {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "quot":
		return '"', end + 1
	default:
		num, ok := strings.CutPrefix(name, "#")
		if !ok {
			return 0, 0
		}
		base := 10
		if hex, ok := strings.CutPrefix(strings.ToLower(num), "x"); ok {
			num, base = hex, 16
		}
		v, err := strconv.ParseUint(num, base, 32)
		if err != nil || v == 0 || v > utf8.MaxRune {
			return 0, 0
		}
		return rune(v), end + 1
	}
}

// splitHTML cuts s into pieces of at most limit characters (textLen) at line
// breaks that no tag spans, so each piece is valid HTML on its own. A line
// that alone is too long loses its markup and is cut at spaces.
func splitHTML(s string, limit int) []string {
	if textLen(s) <= limit {
		return []string{s}
	}
	var (
		chunks []string
		cur    strings.Builder
		curLen int
	)
	flush := func() {
		if c := strings.Trim(cur.String(), "\n"); strings.TrimSpace(c) != "" {
			chunks = append(chunks, c)
		}
		cur.Reset()
		curLen = 0
	}
	for _, seg := range lines(s) {
		n := textLen(seg)
		if n > limit {
			flush()
			chunks = append(chunks, splitPlain(seg, limit)...)
			continue
		}
		if cur.Len() > 0 && curLen+1+n > limit {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
			curLen++
		}
		cur.WriteString(seg)
		curLen += n
	}
	flush()
	return chunks
}

// lines splits s at the line breaks outside any tag pair.
func lines(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				continue
			}
			switch tag := s[i+1 : i+j]; {
			case strings.HasPrefix(tag, "/"):
				depth = max(depth-1, 0)
			case !strings.HasSuffix(tag, "/"):
				depth++
			}
			i += j
		case '\n':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// splitPlain drops the markup of s and cuts the text into escaped pieces of
// at most limit characters, at a space where there is one.
func splitPlain(s string, limit int) []string {
	var plain strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '<' {
			if j := strings.IndexByte(s[i:], '>'); j >= 0 {
				i += j
				continue
			}
		}
		plain.WriteByte(s[i])
	}
	rs := []rune(html.UnescapeString(plain.String()))
	var out []string
	for len(rs) > 0 {
		end, n, space := 0, 0, -1
		for end < len(rs) && n+width(rs[end]) <= limit {
			if rs[end] == ' ' || rs[end] == '\n' {
				space = end
			}
			n += width(rs[end])
			end++
		}
		if end < len(rs) && space > 0 {
			end = space
		}
		end = max(end, 1)
		if piece := strings.TrimSpace(string(rs[:end])); piece != "" {
			out = append(out, tgbotapi.EscapeText(tgbotapi.ModeHTML, piece))
		}
		rs = rs[end:]
		for len(rs) > 0 && (rs[0] == ' ' || rs[0] == '\n') {
			rs = rs[1:]
		}
	}
	return out
}
