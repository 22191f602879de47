package feeds

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/newsbot-vn/newsbot/storage"
)

// The summarizer's fast paths must give what the library calls they
// replace: each is checked against that call.

var fastPathInputs = []string{
	"", " ", "Hà Nội  mưa to", "\tCâu một.\u00a0Câu hai\u2003ba\u3000bốn ",
	"“Tuy nhiên,” ông nói: «không» và \"có\"", "(Q. 1) và (ông T.B. cho biết)",
	"a\u0085b\u2028c\u202fd\u205fe\u1680f", "\u201b\u201e\u00ab\u00bb\u201c\u201d\u00ac\u2019",
	"chữ\xe2\x80\x9ckép\xe2\x80", "mã\xc2", "\xffhỏng\xfe\xe2\x80\x9d",
	"Ông Nguyễn Văn A\u00a0và \"Bộ Y tế\" (TP.HCM)\u2003Đà Nẵng", "  «Hà» “Nội” 5/7 iPhone Éclair",
	"“TUY NHIÊN, giá vẫn cao", "Nhưngười", "- Do đó\xff", "Bên cạnh đó", "BÊN CẠNH ĐÓ", "Chính vì vậy1",
	"Ngoài ra" + strings.Repeat("ẞ", 30),
	"\xc2 a\xe2\x80 b\xe2\x80\x20c\xe1\x9a d\xc2", "x\xe2\x81\x9fy\xe3\x80\x80z\xe2\x80\xaf",
	"Câu một.  Câu hai.\tCâu ba. Câu bốn", " Ông A. B nói. Xong ", "Hết. “Trích. Dẫn.” Sau đó. ",
	"a\r\nb\u2028c\u2029\u0085d\n\n\ve\ff\xe2\x80\xa8", "\xe2\x80\n\xe2\x80\xa8\xc2\n\xc2\x85",
}

func FuzzFastPaths(f *testing.F) {
	for _, s := range fastPathInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// fields is used on valid text only, but gives what strings.Fields
		// gives on any.
		if got, want := fields(s), strings.Fields(s); !slices.Equal(got, want) {
			t.Errorf("fields(%q) = %q, want %q", s, got, want)
		}
		if got, want := holdsQuote(s), strings.ContainsAny(s, "“«”»\""); got != want {
			t.Errorf("holdsQuote(%q) = %v, want %v", s, got, want)
		}
		valid := strings.ToValidUTF8(s, "\uFFFD")
		if got, want := capitalShare(valid), capitalShareByFields(valid); got != want {
			t.Errorf("capitalShare(%q) = %v, want %v", s, got, want)
		}
		if got, want := opensWithConnective(s), opensWithConnectiveLowered(s); got != want {
			t.Errorf("opensWithConnective(%q) = %v, want %v", s, got, want)
		}
		if got, want := lines(s), strings.FieldsFunc(s, isLineBreak); !slices.Equal(got, want) {
			t.Errorf("lines(%q) = %q, want %q", s, got, want)
		}
		// A line of single spaces gives slices of itself, any other
		// line joined words: the same sentences.
		for _, line := range strings.FieldsFunc(valid, isLineBreak) {
			single := strings.Join(strings.Fields(line), " ")
			if got, want := splitLine(line), splitLine(single); !slices.Equal(got, want) {
				t.Errorf("splitLine(%q) = %q, but of %q = %q", line, got, single, want)
			}
			if got := strings.Join(splitLine(single), " "); got != single {
				t.Errorf("splitLine(%q) joined = %q", single, got)
			}
		}
	})
}

// opensWithConnectiveLowered is opensWithConnective as it was, with
// strings.ToLower.
func opensWithConnectiveLowered(s string) bool {
	head := strings.TrimLeftFunc(s, func(r rune) bool { return isOpener(r) || r == '-' || r == '–' })
	if len(head) > connectivePrefix {
		cut := connectivePrefix
		for cut > 0 && !utf8.RuneStart(head[cut]) {
			cut--
		}
		head = head[:cut]
	}
	lower := strings.ToLower(head)
	for _, c := range connectives {
		if rest, ok := strings.CutPrefix(lower, c); ok {
			r, _ := utf8.DecodeRuneInString(rest)
			if rest == "" || !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return true
			}
		}
	}
	return false
}

// spaceWidth matches the spaces beyond ASCII by their bytes: it must find
// exactly unicode.IsSpace's, each whole.
func TestSpaceWidthEveryRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		want := 0
		if unicode.IsSpace(r) {
			want = len(s)
		}
		if got := spaceWidth(s+"x", 0); got != want {
			t.Errorf("spaceWidth(%U) = %d, want %d", r, got, want)
		}
	}
}

// capitalShareByFields is capitalShare as it was, over strings.FieldsSeq.
func capitalShareByFields(text string) float64 {
	words, caps := 0, 0
	first := true
	for f := range strings.FieldsSeq(text) {
		f = strings.TrimLeftFunc(f, isOpener)
		r, _ := utf8.DecodeRuneInString(f)
		if !unicode.IsLetter(r) {
			continue
		}
		if first {
			first = false
			continue
		}
		words++
		if unicode.IsUpper(r) {
			caps++
		}
	}
	if words == 0 {
		return 0
	}
	return float64(caps) / float64(words)
}

// splitArticle repairs invalid UTF-8 once for the whole text; its sentences
// are still SplitSentences' of each line.
func TestSplitArticleAsSplitSentences(t *testing.T) {
	text := "Câu một \xff hỏng. Câu hai “trích” (Q. 1).\n\xe2\x80Dòng hai\u2028dòng ba.\xc2\n\nCuối."
	var got []string
	for _, s := range splitArticle(text) {
		got = append(got, s.text)
	}
	if want := SplitSentences(text); !slices.Equal(got, want) {
		t.Errorf("splitArticle = %q, want %q", got, want)
	}
}

// foldWords' table tells runes that fold to letters from those that end a
// word and those it must look into; a sentence of more words than its
// stack buffer holds folds whole.
func TestFoldTableKinds(t *testing.T) {
	table := foldTable()
	for r, want := range map[rune]uint8{
		'ệ': foldsToLetters, 'Đ': foldsToLetters, 'é': foldsToLetters,
		'“': foldsToGap, '–': foldsToGap, '\u00a0': foldsToGap,
		'\u0301': foldsOther, // a combining accent folds to nothing
	} {
		if got := table[r].kind; got != want {
			t.Errorf("foldTable[%q].kind = %d, want %d (folds to %q)", r, got, want, table[r].text)
		}
	}
	long := strings.Repeat("Tiếng Việt có dấu, “ngoặc” – gạch. ", 40)
	if got, want := foldWords(long), storage.Words(storage.Fold(long)); !slices.Equal(got, want) {
		t.Errorf("foldWords of %d words = %d words, want %d", len(want), len(got), len(want))
	}
}

// weigh cuts every vector from shared buffers: each must be what weighing
// its sentence's term ids alone gives, and none may reach into the next.
func TestWeighSharedBuffers(t *testing.T) {
	var sents []*sentence
	for _, s := range []string{
		"Sáng 5/7, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị giao ban.",
		"Hội nghị đề ra nhiệm vụ công tác khoa giáo 6 tháng cuối năm, công tác khoa giáo.",
		"và của là",
		"Nhiều người đi xe máy đến dự hội nghị.",
	} {
		sents = append(sents, &sentence{words: foldWords(s)})
	}
	title := foldWords("Hội nghị giao ban công tác khoa giáo")
	titleVec, v, idf := weigh(sents, title)
	want := func(words []string) termVec {
		ids := v.terms(nil, words, make([]int32, len(words)))
		var tv termVec
		for i := 0; i < len(ids); {
			j := i + 1
			for j < len(ids) && ids[j] == ids[i] {
				j++
			}
			w := (1 + math.Log(float64(j-i))) * idf[ids[i]]
			tv.ids = append(tv.ids, ids[i])
			tv.w = append(tv.w, w)
			tv.norm += w * w
			i = j
		}
		tv.norm = math.Sqrt(tv.norm)
		return tv
	}
	check := func(name string, got, want termVec) {
		t.Helper()
		if !slices.Equal(got.ids, want.ids) || !slices.Equal(got.w, want.w) || got.norm != want.norm {
			t.Errorf("%s: vector %+v, want %+v", name, got, want)
		}
		if cap(got.ids) != len(got.ids) || cap(got.w) != len(got.w) {
			t.Errorf("%s: capacity reaches past the vector into the next", name)
		}
	}
	for i, s := range sents {
		check(fmt.Sprint("sentence ", i), s.vec, want(s.words))
	}
	check("title", titleVec, want(title))
	if len(sents[2].vec.ids) != 2 {
		t.Errorf("stop syllables only: %d terms, want their 2 pairs", len(sents[2].vec.ids))
	}
}

// The title's share a sentence or a summary holds is counted from bits set
// once per article, and the features' digits and grammatical syllables
// from flags set once per term: each must be what counting the syllables
// gives, with a title of repeated syllables and one too long for the bits.
func TestArticleTitleBitsAndWordFlags(t *testing.T) {
	text := strings.Join([]string{
		"Sáng 5/7, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị giao ban công tác khoa giáo 6 tháng đầu năm.",
		"Hội nghị đề ra nhiệm vụ công tác khoa giáo 6 tháng cuối năm cho các ngành và địa phương.",
		"Nhiều người đi xe máy đến dự, bãi xe chật kín từ sớm, bảo vệ phải hướng dẫn.",
		"Buổi chiều có mưa rào nhẹ ở vài nơi trong thành phố và vùng lân cận năm 2022.",
		"Các đại biểu thảo luận về công tác giáo dục, khoa học và công nghệ của tỉnh.",
		"Hội nghị kết thúc lúc 11 giờ cùng ngày sau khi thông qua nghị quyết.",
	}, "\n")
	var long []string
	for i := range 70 {
		long = append(long, fmt.Sprintf("từ%d", i))
	}
	for _, title := range []string{
		"Hội nghị giao ban công tác khoa giáo, hội nghị khoa giáo",
		"",
		strings.Join(long, " ") + " hội nghị",
	} {
		a := Summarizer{}.prepare(title, text, defaultTuning)
		if a == nil || len(a.pool) < 3 {
			t.Fatalf("title %.30q: no pool to check", title)
		}
		// Bits for a title of 1 to 64 distinct syllables; the long one has 72.
		if masks := title != "" && !strings.HasPrefix(title, "từ0"); a.titleMasks != masks {
			t.Errorf("title %.30q: titleMasks %v", title, a.titleMasks)
		}
		for i := range a.pool {
			for j := i; j < len(a.pool); j++ {
				sents := []*sentence{a.pool[i], a.pool[j]}
				if i == j {
					sents = sents[:1]
				}
				var words []string
				for _, c := range sents {
					words = append(words, c.words...)
				}
				if got, want := a.titleShare(sents), titleCover(words, a.title); got != want {
					t.Errorf("title %.30q, sentences %d and %d: titleShare %v, titleCover %v", title, i, j, got, want)
				}
			}
		}
		for _, c := range a.pool {
			for k, w := range c.words {
				id := c.wordIDs[k]
				if a.vocab.grammar[id] != stopSyllables[w] || a.vocab.digits[id] != strings.ContainsFunc(w, unicode.IsDigit) ||
					a.vocab.stops[id] != (stopSyllables[w] || isNumber(w)) {
					t.Errorf("%q: grammar %v, digits %v, stops %v", w, a.vocab.grammar[id], a.vocab.digits[id], a.vocab.stops[id])
				}
			}
		}
	}
}

// sparseCosines sums over the ids where v is not 0 only; it must equal the
// dense sums over every id to the last bit.
func TestSparseCosinesMatchDense(t *testing.T) {
	dense := func(a, b []float64) float64 {
		var dot, na, nb float64
		for i, x := range a {
			dot += x * b[i]
			na += x * x
			nb += b[i] * b[i]
		}
		if na == 0 || nb == 0 {
			return 0
		}
		return dot / math.Sqrt(na*nb)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := 1 + rng.IntN(300)
		v, b1, b2 := make([]float64, n), make([]float64, n), make([]float64, n)
		var touched []int32
		for i := range n {
			if rng.IntN(4) == 0 {
				touched = append(touched, int32(i))
				v[i] = rng.NormFloat64() * math.Exp(rng.NormFloat64()*5)
			}
			if rng.IntN(3) > 0 {
				b1[i] = rng.ExpFloat64() * math.Exp(rng.NormFloat64()*5)
			}
			if rng.IntN(2) > 0 {
				b2[i] = -rng.ExpFloat64()
			}
		}
		if trial%10 == 0 {
			clear(b2) // a zero norm
		}
		c1, c2 := sparseCosines(v, touched, b1, squaredNorm(b1), b2, squaredNorm(b2))
		if w1, w2 := dense(v, b1), dense(v, b2); math.Float64bits(c1) != math.Float64bits(w1) || math.Float64bits(c2) != math.Float64bits(w2) {
			t.Fatalf("trial %d: sparse %v %v, dense %v %v", trial, c1, c2, w1, w2)
		}
	}
}

// terms sorts only the ids it did not just make and merges them with the
// new ones: each sentence's terms must be its ids sorted, with syllables
// and pairs repeated within the sentence and across sentences.
func TestTermsSorted(t *testing.T) {
	v := vocabulary{uni: map[string]int32{}, bi: map[uint64]int32{}}
	for _, s := range []string{
		"Hà Nội mưa to, Hà Nội ngập sâu và mưa to.",
		"Mưa to ở Hà Nội: nhiều tuyến phố ngập sâu, phố cổ Hà Nội cũng ngập.",
		"và của là",
		"Chiều 22/8, mưa to làm ngập phố, người dân Hà Nội lội nước.",
		"",
	} {
		words := foldWords(s)
		got := v.terms([]int32{-1}, words, make([]int32, len(words)))[1:]
		var want []int32
		for i, w := range words {
			id := v.uni[w]
			if !v.stops[id] {
				want = append(want, id)
			}
			if i > 0 {
				want = append(want, v.bi[uint64(v.uni[words[i-1]])<<32|uint64(id)])
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("terms(%q) = %v, want %v", s, got, want)
		}
	}
}

// Sentences are slices of the text they come from; a summary of one
// sentence is a copy, so that keeping it does not keep the article.
func TestSummaryOfOneSentenceIsACopy(t *testing.T) {
	text := "Hà Nội mưa to từ chiều qua, nhiều tuyến phố ngập sâu.\nNgười dân lội nước về nhà."
	got := Summarizer{MaxSentences: 1}.Summarize("", text)
	if !strings.HasPrefix(text, got) || got == "" {
		t.Fatalf("summary %q is not the first sentence", got)
	}
	start, end := uintptr(unsafe.Pointer(unsafe.StringData(text))), uintptr(unsafe.Pointer(unsafe.StringData(text)))+uintptr(len(text))
	if p := uintptr(unsafe.Pointer(unsafe.StringData(got))); start <= p && p < end {
		t.Error("the summary shares the article's memory")
	}
	if s := SplitSentences(text); len(s) != 2 || unsafe.StringData(s[0]) != unsafe.StringData(text) {
		t.Error("a single-spaced line's sentences are copies: the slicing fast path is not taken")
	}
}

func TestMergeIDs(t *testing.T) {
	tests := []struct{ a, b, want []int32 }{
		{nil, nil, nil},
		{[]int32{1, 4, 9}, nil, []int32{1, 4, 9}},
		{nil, []int32{2}, []int32{2}},
		{[]int32{1, 4, 9}, []int32{0, 4, 5, 9, 12}, []int32{0, 1, 4, 5, 9, 12}},
	}
	for _, tt := range tests {
		if got := mergeIDs([]int32{-1}, tt.a, tt.b)[1:]; !slices.Equal(got, tt.want) && (len(got) > 0 || len(tt.want) > 0) {
			t.Errorf("mergeIDs(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
