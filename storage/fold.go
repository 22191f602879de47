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

// exactText is text as the accented columns of the search index hold it:
// composed (NFC) and lower-cased, diacritics kept.
func exactText(s string) string {
	return strings.ToLower(norm.NFC.String(s))
}

// Limits on what a query can ask of the index: a pasted paragraph searches
// its first words, and a word is never longer than any real one.
const (
	maxQueryWords = 12
	maxWordRunes  = 64
)

// HasWords reports whether input has anything to search for.
func HasWords(input string) bool {
	return len(parseQuery(input)) > 0
}

// queryWord is one word as typed: its exact (lower-cased, accented) and
// folded forms. A word typed without diacritics has both forms equal and
// matches every accented form; one typed with them prefers its own.
type queryWord struct {
	exact, folded string
}

func (w queryWord) accented() bool { return w.exact != w.folded }

// queryGroup is one word, or the words of a quoted phrase.
type queryGroup struct {
	words  []queryWord
	quoted bool
}

// quoteRune is a quotation mark that delimits an exact phrase: straight, or
// the curly ones phone keyboards type.
func quoteRune(r rune) bool { return r == '"' || r == '“' || r == '”' || r == '„' }

// parseQuery splits what a person typed into words and quoted phrases.
// Nothing in it is FTS syntax: only letters and digits survive, and an
// unclosed quote runs to the end.
func parseQuery(input string) []queryGroup {
	var groups []queryGroup
	n := 0
	add := func(text string, quoted bool) {
		var g queryGroup
		for _, w := range Words(exactText(text)) {
			if n == maxQueryWords {
				break
			}
			if r := []rune(w); len(r) > maxWordRunes {
				w = string(r[:maxWordRunes])
			}
			folded := strings.Join(Words(Fold(w)), "")
			if folded == "" {
				continue
			}
			g.words = append(g.words, queryWord{exact: w, folded: folded})
			n++
		}
		if len(g.words) == 0 {
			return
		}
		if !quoted || len(g.words) == 1 {
			for _, w := range g.words {
				groups = append(groups, queryGroup{words: []queryWord{w}, quoted: quoted})
			}
			return
		}
		g.quoted = true
		groups = append(groups, g)
	}
	quoted := false
	start := 0
	for i, r := range input {
		if quoteRune(r) {
			add(input[start:i], quoted)
			quoted = !quoted
			start = i + len(string(r))
		}
	}
	add(input[start:], quoted)
	return groups
}

// The index's column groups (migration 0013): as written, and folded.
const (
	exactCols  = "{title summary body}"
	foldedCols = "{title_f summary_f body_f}"
)

// phrase is an FTS5 phrase over a column group: its words quoted, so that
// nothing in them is syntax (they are letters and digits only anyway).
func phrase(cols string, words []string) string {
	return cols + ` : "` + strings.Join(words, " ") + `"`
}

func forms(words []queryWord, exact bool) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = w.folded
		if exact {
			out[i] = w.exact
		}
	}
	return out
}

// exactExpr matches the words in order and adjacent when phrase, each typed
// accented word in its exact form, each unaccented word in any form.
func exactExpr(words []queryWord, adjacent bool) string {
	var accented []string
	for _, w := range words {
		if w.accented() {
			accented = append(accented, w.exact)
		}
	}
	if !adjacent || len(words) == 1 {
		var parts []string
		for _, w := range words {
			if w.accented() {
				parts = append(parts, phrase(exactCols, []string{w.exact}))
			} else {
				parts = append(parts, phrase(foldedCols, []string{w.folded}))
			}
		}
		return strings.Join(parts, " AND ")
	}
	if len(accented) == len(words) {
		return phrase(exactCols, accented)
	}
	parts := []string{phrase(foldedCols, forms(words, false))}
	for _, w := range accented {
		parts = append(parts, phrase(exactCols, []string{w}))
	}
	return strings.Join(parts, " AND ")
}

func groupsExpr(groups []queryGroup, exact bool) string {
	parts := make([]string, len(groups))
	for i, g := range groups {
		if exact {
			parts[i] = "(" + exactExpr(g.words, g.quoted) + ")"
		} else {
			parts[i] = "(" + phrase(foldedCols, forms(g.words, false)) + ")"
		}
	}
	return strings.Join(parts, " AND ")
}

// searchTier is one FTS5 expression of a plan. A fallback tier is searched
// only when nothing before it matched at all.
type searchTier struct {
	expr     string
	fallback bool
}

// planSearch turns what a person typed into FTS5 expressions, best matches
// first, each excluding the matches of those before it, so that a result
// appears once and the tiers rank it:
//  1. the words adjacent and in order, accented words in their exact form;
//  2. the words anywhere, accented words exact;
//  3. the words adjacent and in order, any accents;
//  4. the words anywhere, any accents;
//  5. only when nothing matched, the last word as a prefix ("Lào Ca").
//
// Tiers that would repeat another (a query without accents, one word) are
// left out. A quoted phrase is a phrase in every tier. No tier when the
// input has no word.
func planSearch(input string) []searchTier {
	groups := parseQuery(input)
	if len(groups) == 0 {
		return nil
	}
	var all []queryWord
	for _, g := range groups {
		all = append(all, g.words...)
	}
	var exprs []string
	if len(groups) > 1 {
		exprs = append(exprs, exactExpr(all, true))
	}
	exprs = append(exprs, groupsExpr(groups, true))
	if len(groups) > 1 {
		exprs = append(exprs, phrase(foldedCols, forms(all, false)))
	}
	exprs = append(exprs, groupsExpr(groups, false))

	var tiers []searchTier
	var before []string
	seen := map[string]bool{}
	for _, e := range exprs {
		if seen[e] {
			continue
		}
		seen[e] = true
		expr := "(" + e + ")"
		if len(before) > 0 {
			expr += " NOT (" + strings.Join(before, " OR ") + ")"
		}
		tiers = append(tiers, searchTier{expr: expr})
		before = append(before, "("+e+")")
	}
	if last := groups[len(groups)-1]; !last.quoted && len([]rune(last.words[0].folded)) >= 2 {
		prefix := phrase(foldedCols, []string{last.words[0].folded}) + "*"
		if len(groups) > 1 {
			prefix = groupsExpr(groups[:len(groups)-1], false) + " AND (" + prefix + ")"
		}
		tiers = append(tiers, searchTier{expr: prefix, fallback: true})
	}
	return tiers
}
