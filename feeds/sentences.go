package feeds

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SplitSentences splits Vietnamese text into sentences. A line break always
// ends one; within a line a sentence ends at '.', '!', '?' or an ellipsis
// (possibly followed by closing quotes or brackets) when the next word starts
// with a capital, a digit or an opening quote. It does not end:
//   - after an abbreviation: TP., Q., P., X., TT., GS., PGS.TS., ThS., Th.S.,
//     TS., BS., Nxb. and the like (TP.HCM has no space, so is never cut);
//   - inside a number or a date (1.000, 1,5, 5/7, 1/12/2021, 22-8): they hold
//     no space;
//   - after an ellipsis followed by a lower-case word;
//   - inside quoted speech: “…” or "…" that closes on the same line is kept
//     whole, and the sentence ends after the closing quote.
//
// A single capital before the dot ends the sentence (anonymised names: "anh
// Nguyễn Văn N. Sau đó…"), except Q., P. or X. used for a district, ward or
// commune, and a run of initials ("J. K. Rowling").
//
// Sentences are returned trimmed, with each run of spaces as one space; no
// other character is changed (invalid UTF-8 becomes U+FFFD). Empty text
// gives no sentences.
func SplitSentences(text string) []string {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	var out []string
	for _, line := range lines(text) {
		out = append(out, splitLine(line)...)
	}
	return out
}

// asciiSpace is 1 for the ASCII bytes unicode.IsSpace holds.
var asciiSpace = [utf8.RuneSelf]uint8{'\t': 1, '\n': 1, '\v': 1, '\f': 1, '\r': 1, ' ': 1}

// fields is strings.Fields. Vietnamese is never all ASCII, which sends
// strings.Fields down its slow path, a function call and a rune decoding
// per byte; here an ASCII byte is one table lookup, and only the bytes
// that can start a space beyond ASCII are looked at further.
func fields(s string) []string {
	out := make([]string, 0, strings.Count(s, " ")+1) // exact for single spaces
	start := -1
	for i := 0; i < len(s); {
		if w := spaceWidth(s, i); w > 0 {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			i += w
			continue
		}
		if start < 0 {
			start = i
		}
		i++
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// spaceWidth is the length in bytes of the space that starts at s[i], 0
// if none does. Every space beyond ASCII (U+0085, U+00A0, U+1680,
// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) is matched by its
// UTF-8 bytes; stepping over any other byte alone finds the same spaces as
// decoding rune by rune: a byte inside a rune (80–BF) never starts one,
// and decoding never reads a rune's start as part of the rune before.
func spaceWidth(s string, i int) int {
	if b := s[i]; b < utf8.RuneSelf {
		return int(asciiSpace[b]) // inlined: most bytes are ASCII
	}
	return spaceWidthBeyondASCII(s, i)
}

func spaceWidthBeyondASCII(s string, i int) int {
	b := s[i]
	if b != 0xC2 && (b < 0xE1 || b > 0xE3) || i+1 == len(s) {
		return 0 // most often a Vietnamese letter
	}
	c := s[i+1]
	if b == 0xC2 {
		if c == 0x85 || c == 0xA0 {
			return 2
		}
		return 0
	}
	if i+2 == len(s) {
		return 0
	}
	d := s[i+2]
	switch {
	case b == 0xE1 && c == 0x9A && d == 0x80, // U+1680
		b == 0xE2 && c == 0x80 && (0x80 <= d && d <= 0x8A || d == 0xA8 || d == 0xA9 || d == 0xAF), // U+2000–U+202F
		b == 0xE2 && c == 0x81 && d == 0x9F, // U+205F
		b == 0xE3 && c == 0x80 && d == 0x80: // U+3000
		return 3
	}
	return 0
}

// lines is strings.FieldsFunc(s, isLineBreak): the non-empty lines of s.
// Like fields, it looks at bytes, not runes: a break beyond ASCII
// (U+0085, U+2028, U+2029) is matched by its UTF-8 bytes.
func lines(s string) []string {
	out := make([]string, 0, strings.Count(s, "\n")+1)
	start := -1
	for i := 0; i < len(s); {
		w := 0
		switch b := s[i]; {
		case b == '\n' || b == '\r' || b == '\v' || b == '\f':
			w = 1
		case b == 0xC2 && i+1 < len(s) && s[i+1] == 0x85:
			w = 2
		case b == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9):
			w = 3
		}
		if w == 0 {
			if start < 0 {
				start = i
			}
			i++
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
		i += w
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

func isLineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u2028' || r == '\u2029' || r == '\u0085'
}

// splitLine splits one line into its words and groups them into
// sentences.
func splitLine(line string) []string {
	words := fields(line)
	if len(words) == 0 {
		return nil
	}
	// Most lines hold no quotation or brackets: then both are nil, and
	// the line tells at once.
	var inQuote, inBrackets []bool
	if holdsQuote(line) {
		inQuote = quotedWords(words)
	}
	if strings.IndexByte(line, '(') >= 0 && strings.IndexByte(line, ')') >= 0 {
		inBrackets = bracketedWords(words)
	}
	if inQuote == nil {
		inQuote = inBrackets
	} else {
		for i, in := range inBrackets {
			inQuote[i] = inQuote[i] || in
		}
	}
	// A sentence is its words joined by single spaces: when the line is
	// that already, as it most often is, the sentence is a slice of it
	// rather than a copy. off is where words[i] starts in such a line.
	joined := singleSpaced(line, words)
	sentence := func(from, to, fromOff, toOff int) string {
		if joined {
			return line[fromOff:toOff]
		}
		return strings.Join(words[from:to], " ")
	}
	var out []string
	start, startOff := 0, 0
	for i, off := 0, 0; i < len(words)-1; i, off = i+1, off+len(words[i])+1 {
		if inQuote != nil && inQuote[i] || !endsSentence(words[i]) || !startsSentenceWord(words[i+1]) {
			continue
		}
		var prev string
		if i > start {
			prev = words[i-1]
		}
		if keepsSentence(words[i], prev, words[i+1], i == start) {
			continue
		}
		end := off + len(words[i])
		out = append(out, sentence(start, i+1, startOff, end))
		start, startOff = i+1, end+1
	}
	return append(out, sentence(start, len(words), startOff, len(line)))
}

// singleSpaced reports whether line is words (its fields) joined by one
// ' ' each, with no space before or after.
func singleSpaced(line string, words []string) bool {
	n := len(words) - 1
	for _, w := range words {
		n += len(w)
	}
	if n != len(line) {
		return false // some space is longer than a byte, or leads or trails
	}
	off := 0
	for _, w := range words[:len(words)-1] {
		off += len(w)
		if line[off] != ' ' {
			return false // a tab or another one-byte space
		}
		off++
	}
	return true
}

// quotedWords reports, for each word, whether a quotation that closes later
// on the line is still open after it: no sentence ends there. Curly quotes
// and guillemets nest; a straight quote opens at the start of a word and
// closes otherwise. An opening quote that never closes is ignored. It is
// nil when no quotation closes on the line.
func quotedWords(words []string) []bool {
	type mark struct {
		word int
		open bool
	}
	var marks []mark
	straightOpen := false
	for i, w := range words {
		if !holdsQuote(w) {
			continue // most words hold no quote: spare them the rune slice
		}
		rs := []rune(w)
		for j, r := range rs {
			switch r {
			case '“', '«':
				marks = append(marks, mark{i, true})
			case '”', '»':
				marks = append(marks, mark{i, false})
			case '"':
				atStart := j == 0 || strings.ContainsRune("([{", rs[j-1])
				atEnd := j == len(rs)-1 || isTerminal(rs[j+1]) || strings.ContainsRune(",;:)]}", rs[j+1])
				open := atStart && !(straightOpen && atEnd)
				if len(rs) == 1 { // a quote standing alone, as in tokenised text
					open = !straightOpen
				}
				straightOpen = open
				marks = append(marks, mark{i, open})
			}
		}
	}
	if len(marks) < 2 {
		return nil // no pair
	}
	// Match closes to opens with a stack; only matched pairs count. Each
	// pair adds one to the depth of the words it spans (a difference array
	// keeps this linear however the quotes nest).
	depth := make([]int, len(words)+1)
	var stack []int
	for _, m := range marks {
		if m.open {
			stack = append(stack, m.word)
			continue
		}
		if len(stack) == 0 {
			continue
		}
		from := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		depth[from]++
		depth[m.word]--
	}
	inQuote := make([]bool, len(words))
	d := 0
	for i := range words {
		d += depth[i]
		inQuote[i] = d > 0
	}
	return inQuote
}

// bracketedWords reports, for each word, whether a round bracket opened at
// or before it closes later on the line: "(Q. Bình Thạnh)", "(ông T.B.
// cho biết)" hold no sentence end. A bracket that never closes is ignored.
// It is nil when the line holds no bracket.
func bracketedWords(words []string) []bool {
	var depth []int
	var stack []int
	for i, w := range words {
		if strings.IndexByte(w, '(') < 0 && strings.IndexByte(w, ')') < 0 {
			continue
		}
		if depth == nil {
			depth = make([]int, len(words)+1)
		}
		for _, r := range w {
			switch r {
			case '(':
				stack = append(stack, i)
			case ')':
				if len(stack) == 0 {
					continue
				}
				from := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if from < i {
					depth[from]++
					depth[i]--
				}
			}
		}
	}
	if depth == nil {
		return nil
	}
	in := make([]bool, len(words))
	d := 0
	for i := range words {
		d += depth[i]
		in[i] = d > 0
	}
	return in
}

// holdsQuote reports whether w holds one of the quotes quotedWords reads:
// a straight quote, “, ”, « or ». It compares UTF-8 bytes: strings.ContainsAny
// with a set beyond ASCII decodes every rune of w and searches the set for
// each, and this runs on every word of an article.
func holdsQuote(w string) bool {
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case '"':
			return true
		case 0xC2: // « U+00AB, » U+00BB
			if i+1 < len(w) && (w[i+1] == 0xAB || w[i+1] == 0xBB) {
				return true
			}
		case 0xE2: // “ U+201C, ” U+201D
			if i+2 < len(w) && w[i+1] == 0x80 && (w[i+2] == 0x9C || w[i+2] == 0x9D) {
				return true
			}
		}
	}
	return false
}

func isTerminal(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '…' }

func isCloser(r rune) bool {
	return r == '"' || r == '\'' || r == '”' || r == '’' || r == '»' || r == ')' || r == ']'
}

func isOpener(r rune) bool {
	return r == '"' || r == '“' || r == '\'' || r == '‘' || r == '«' || r == '(' || r == '['
}

// sentenceCore is a word without the closing quotes and brackets after it.
func sentenceCore(w string) string {
	return strings.TrimRightFunc(w, isCloser)
}

// endsSentence reports whether w ends with sentence-final punctuation.
func endsSentence(w string) bool {
	r, _ := utf8.DecodeLastRuneInString(sentenceCore(w))
	return isTerminal(r)
}

// startsSentenceWord reports whether w can begin a sentence: a capital or a
// digit, possibly after opening quotes, brackets or a dash.
func startsSentenceWord(w string) bool {
	rest := strings.TrimLeftFunc(w, func(r rune) bool { return isOpener(r) || r == '-' || r == '–' || r == '—' })
	if rest != w && rest == "" {
		return true // a lone opening quote or bracket
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return unicode.IsUpper(r) || unicode.IsDigit(r) || (rest != w && unicode.IsLetter(r))
}

// abbreviations end with a dot that does not end a sentence (compared
// lower-cased, without the dot).
var abbreviations = map[string]bool{
	"tp": true, "tx": true, "tt": true, "gs": true, "pgs": true, "ts": true, "ths": true,
	"th.s": true, "bs": true, "ks": true, "kts": true, "ls": true, "ncs": true, "nxb": true,
	"tskh": true, "nsnd": true, "nsưt": true, "ngnd": true, "ngưt": true, "đ/c": true, "đc": true,
	"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "no": true, "vs": true,
}

// titleParts are the degrees and titles that chain with dots: PGS.TS., ThS.BS.,
// GS.TSKH., BS.CKII. A dotted token ending with one is an abbreviation;
// TP.HCM is not, so "ở TP.HCM. Sau đó" ends a sentence.
var titleParts = map[string]bool{
	"ts": true, "ths": true, "bs": true, "gs": true, "pgs": true, "tskh": true, "cki": true,
	"ckii": true, "bsck": true, "ks": true, "kts": true, "ls": true, "ncs": true, "s": true,
	"bscki": true, "bsckii": true, "dsck": true, "ds": true,
}

// personWords come before a name: after them a single capital is a name's
// initial ("anh P.") and not a ward ("P. Bến Nghé").
var personWords = map[string]bool{
	"anh": true, "chị": true, "ông": true, "bà": true, "em": true, "cháu": true, "bé": true,
	"cô": true, "chú": true, "bác": true, "cụ": true, "tên": true, "can": true, "cáo": true,
	"tượng": true, "nhân": true, "dì": true, "cậu": true, "thím": true, "mợ": true, "chồng": true,
	"vợ": true, "con": true, "sinh": true, "nữ": true, "nam": true,
}

// numberedWords are followed by a number that is a heading, not a sentence end ("Điều 1. Phạm vi").
var numberedWords = map[string]bool{
	"điều": true, "khoản": true, "chương": true, "mục": true, "phần": true, "bài": true, "câu": true,
}

// keepsSentence reports whether the dot ending w (before next, a word that
// could start a sentence) belongs to an abbreviation, an initial or a list
// number rather than ending the sentence. first says w starts the sentence.
func keepsSentence(w, prev, next string, first bool) bool {
	core := sentenceCore(w)
	if core != w || !strings.HasSuffix(core, ".") || strings.HasSuffix(core, "..") {
		return false // "đi." ends a quote; "!", "?", "…" and "..." end a sentence
	}
	token := strings.TrimLeftFunc(strings.TrimSuffix(core, "."), isOpener)
	if token == "" {
		return false
	}
	lower := strings.ToLower(token)
	if abbreviations[lower] {
		return true
	}
	if i := strings.LastIndexByte(lower, '.'); i >= 0 && titleParts[lower[i+1:]] {
		return true
	}
	if isInitials(token) && (strings.HasPrefix(next, "(") || len(token) > 1 && personWords[strings.ToLower(strings.TrimRight(prev, ","))]) {
		return true // "chị T.B. (35 tuổi)", "anh N. (SN 1990)", "chị T.B. Hà Nội"
	}
	rs := []rune(token)
	if allDigits(rs) {
		return first || numberedWords[strings.ToLower(prev)]
	}
	if len(rs) != 1 || !unicode.IsUpper(rs[0]) {
		return false
	}
	// A single capital letter.
	if isInitial(next) || isInitial(prev) {
		return true // a run of initials: "J. K. Rowling"
	}
	switch rs[0] {
	case 'Q', 'P', 'X':
		nr, _ := utf8.DecodeRuneInString(next)
		if unicode.IsDigit(nr) {
			return true // Q. 1, P. 5
		}
		pr, _ := utf8.DecodeRuneInString(prev)
		return prev == "" || (!unicode.IsUpper(pr) && !personWords[strings.ToLower(strings.TrimRight(prev, ","))])
	}
	return false
}

// isInitials reports whether token is one capital or capitals joined by
// dots, an anonymised name: "T", "T.B", "N.V.A".
func isInitials(token string) bool {
	for i, part := range strings.Split(token, ".") {
		r, size := utf8.DecodeRuneInString(part)
		if !unicode.IsUpper(r) || size != len(part) || i > 3 {
			return false
		}
	}
	return true
}

// isInitial reports whether w is a capital letter and a dot: "J.".
func isInitial(w string) bool {
	r, size := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) && w[size:] == "."
}

func allDigits(rs []rune) bool {
	for _, r := range rs {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return len(rs) > 0
}
