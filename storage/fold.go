package storage

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s for matching: decomposed, combining marks removed, đ/Đ
// mapped to d, lower-cased. "Đảng Khoa giáo" → "dang khoa giao".
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			b.WriteRune('d')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Words splits folded text into its letter-and-digit words.
func Words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// FoldedWords is s as matching sees it: its folded words joined by one
// space ("Sa  Pa!" → "sa pa"). It is what a follow phrase is stored as.
func FoldedWords(input string) string {
	return strings.Join(Words(Fold(input)), " ")
}

// MatchExpr turns whatever a person typed into a safe FTS5 expression over
// folded text: every word quoted (so nothing is FTS syntax), all required,
// the last one as a prefix. It returns "" when the input has no word.
func MatchExpr(input string) string {
	words := Words(Fold(input))
	const maxWords = 12
	if len(words) > maxWords {
		words = words[:maxWords]
	}
	for i, w := range words {
		if len([]rune(w)) > 64 {
			w = string([]rune(w)[:64])
		}
		words[i] = `"` + w + `"`
	}
	if len(words) == 0 {
		return ""
	}
	words[len(words)-1] += "*"
	return strings.Join(words, " ")
}
