package feeds

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The committed weights carry the lexical model they were trained with,
// and the sentence model trusts it.
func TestBuiltinLexicalModel(t *testing.T) {
	m := builtinModel()
	if m == nil || m.Lexical == nil {
		t.Fatal("the built-in model has no lexical model")
	}
	lx := m.Lexical
	if lx.Bits != defaultLexicalBits || !slices.Equal(lx.Kinds, DefaultLexicalKinds) {
		t.Errorf("lexical model of 2^%d buckets over %v, want the defaults 2^%d over %v", lx.Bits, lx.Kinds, defaultLexicalBits, DefaultLexicalKinds)
	}
	if w := m.Weights[slices.Index(m.Features, lexicalFeature)]; w <= 0 {
		t.Errorf("weight of the lexical feature %v, want positive", w)
	}
	nonzero := 0
	for _, w := range lx.w {
		if w != 0 {
			nonzero++
		}
	}
	if nonzero < len(lx.w)/2 {
		t.Errorf("only %d of %d lexical weights are set", nonzero, len(lx.w))
	}
	if !strings.Contains(m.Trained, "lexical feature") {
		t.Errorf("the weights do not say how the lexical model was trained: %q", m.Trained)
	}
}

// The hash is FNV-1a of the kind byte and the syllables joined by spaces,
// with a syllable holding a digit read as '#': fixed, so that a stored
// model's buckets keep their meaning.
func TestLexicalHash(t *testing.T) {
	ref := func(kind byte, s string) uint32 {
		h := fnv.New32a()
		h.Write(append([]byte{kind}, s...))
		return h.Sum32()
	}
	tests := []struct {
		name  string
		kind  byte
		words []string
		want  string
	}{
		{"one syllable", kindUni, []string{"khoi"}, "khoi"},
		{"a pair", kindBi, []string{"khoi", "to"}, "khoi to"},
		{"digits as one symbol", kindOpen3, []string{"ngay", "17", "6"}, "ngay # #"},
		{"a syllable with a digit", kindOpen2, []string{"sang", "27a"}, "sang #"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := lexicalHash(tt.kind, tt.words), ref(tt.kind, tt.want); got != want {
				t.Errorf("lexicalHash = %#x, want FNV-1a of %q = %#x", got, tt.want, want)
			}
		})
	}
	if lexicalHash(kindUni, []string{"khoi"}) == lexicalHash(kindOpen1, []string{"khoi"}) {
		t.Error("the kind does not enter the hash")
	}
	for _, bits := range []int{minLexicalBits, 12, maxLexicalBits} {
		for _, h := range []uint32{0, 1, 0xdeadbeef, math.MaxUint32} {
			if b := lexicalBucket(h, bits); b >= 1<<bits {
				t.Errorf("bucket %d of %#x with %d bits is out of range", b, h, bits)
			}
		}
	}
}

// lexicalFeatures hashes each kind it is asked for, openers and endings
// with value 1 and bags weighed 1/√n.
func TestLexicalFeatures(t *testing.T) {
	words := []string{"theo", "do", "cong", "an", "cho", "biet"}
	all, _ := parseLexicalKinds(lexicalKinds)
	ids, fixed, bag := lexicalFeatures(nil, words, 16, all)
	if fixed != 4 || len(ids) != 4+6+5 {
		t.Fatalf("%d features, %d fixed, want 15 and 4", len(ids), fixed)
	}
	if want := 1 / math.Sqrt(11); math.Abs(bag-want) > 1e-12 {
		t.Errorf("bag value %v, want %v", bag, want)
	}
	if want := lexicalBucket(lexicalHash(kindOpen2, words[:2]), 16); ids[1] != want {
		t.Errorf("second feature %d, want the opener pair's bucket %d", ids[1], want)
	}
	if want := lexicalBucket(lexicalHash(kindLast2, words[4:]), 16); ids[3] != want {
		t.Errorf("fourth feature %d, want the last pair's bucket %d", ids[3], want)
	}
	bags, _ := parseLexicalKinds([]string{"uni", "bi"})
	if ids, fixed, _ := lexicalFeatures(nil, words[:1], 16, bags); fixed != 0 || len(ids) != 1 {
		t.Errorf("one syllable, bags only: %d features, %d fixed, want 1 and 0", len(ids), fixed)
	}
	if ids, _, bag := lexicalFeatures(nil, nil, 16, all); len(ids) != 0 || bag != 0 {
		t.Errorf("no syllables: %d features, bag %v", len(ids), bag)
	}
}

// lexicalModelFavouring is a model over bags of syllables whose only
// weight is w on the syllable word.
func lexicalModelFavouring(word string, w float64) *LexicalModel {
	kinds, _ := parseLexicalKinds([]string{"uni", "bi"})
	weights := make([]float64, 1<<12)
	weights[lexicalBucket(lexicalHash(kindUni, []string{word}), 12)] = w
	return newLexicalModel(12, kinds, -1, weights)
}

// Scoring a sentence does not allocate once its scratch buffer has grown:
// it runs for every candidate of every article.
func TestLexicalLogitAllocations(t *testing.T) {
	lx := lexicalModelFavouring("khoi", 2)
	words := foldWords("Sáng 27/8, Công an huyện đã khởi tố vụ án, bắt giữ 3 đối tượng.")
	var buf []uint32
	want := lx.Bias + 2/math.Sqrt(float64(2*len(words)-1))
	if got := lx.logit(words, &buf); math.Abs(got-want) > 1e-6 {
		t.Errorf("logit %v, want %v", got, want)
	}
	if n := testing.AllocsPerRun(100, func() { lx.logit(words, &buf) }); n != 0 {
		t.Errorf("%v allocations per sentence, want 0", n)
	}
}

// lexicalSentenceModel is a sentence model that scores by the lexical
// logit alone.
func lexicalSentenceModel(lx *LexicalModel) *SentenceModel {
	names := modelFeatureNames(true)
	m := &SentenceModel{Features: slices.Clone(names), Mean: make([]float64, len(names)), Scale: make([]float64, len(names)),
		Weights: make([]float64, len(names)), Lexical: lx}
	for i := range m.Scale {
		m.Scale[i] = 1
	}
	m.Weights[len(names)-1] = 1
	return m
}

// The lexical logit is the sentence model's last feature, and it decides
// the summary when the model weighs it alone.
func TestSummarizerUsesLexicalFeature(t *testing.T) {
	title := "Phú Thọ bắt giữ đối tượng lừa đảo chiếm đoạt 1,5 tỷ đồng"
	lx := lexicalModelFavouring("khuyen", 5)
	a := Summarizer{MaxChars: 200}.prepare(title, featureArticle, defaultTuning)
	feats := a.features(lx)
	var buf []uint32
	for i, c := range a.pool {
		if len(feats[i]) != len(featureNames)+1 || feats[i][len(featureNames)] != lx.logit(c.words, &buf) {
			t.Fatalf("sentence %d: features %v, want featureNames and the lexical logit", i, feats[i])
		}
	}
	if plain := a.features(nil); len(plain[0]) != len(featureNames) {
		t.Errorf("without a lexical model: %d features, want %d", len(plain[0]), len(featureNames))
	}
	want := "Cơ quan công an khuyến cáo người dân mấy điều sau:"
	if got := (Summarizer{MaxSentences: 1, Model: lexicalSentenceModel(lx)}).Summarize(title, featureArticle); got != want {
		t.Errorf("Summarize = %q, want %q", got, want)
	}
	other := lexicalModelFavouring("chung", 5) // "Chúng tôi…": the quotation
	if got := (Summarizer{MaxSentences: 1, Model: lexicalSentenceModel(other)}).Summarize(title, featureArticle); !strings.HasPrefix(got, "“Chúng tôi") {
		t.Errorf("with a model favouring another word: %q, want the quotation", got)
	}
}

func TestParseSentenceModelLexical(t *testing.T) {
	good := func() *SentenceModel { return lexicalSentenceModel(lexicalModelFavouring("khoi", 1)) }
	encode := func(m *SentenceModel) []byte {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name   string
		change func(m *SentenceModel)
		want   string // in the error; "" for none
	}{
		{"valid", func(*SentenceModel) {}, ""},
		{"no lexical feature", func(m *SentenceModel) {
			m.Features, m.Mean, m.Scale, m.Weights = m.Features[:len(featureNames)], m.Mean[:len(featureNames)], m.Scale[:len(featureNames)], m.Weights[:len(featureNames)]
		}, "features"},
		{"a lexical feature without a model", func(m *SentenceModel) { m.Lexical = nil }, "features"},
		{"too few bits", func(m *SentenceModel) { m.Lexical.Bits = 4 }, "bits"},
		{"weights of other bits", func(m *SentenceModel) { m.Lexical.Bits = 13 }, "bytes of weights"},
		{"unknown kind", func(m *SentenceModel) { m.Lexical.Kinds = []string{"uni", "trigram"} }, "unknown feature kind"},
		{"kinds out of order", func(m *SentenceModel) { m.Lexical.Kinds = []string{"bi", "uni"} }, "out of order"},
		{"no kinds", func(m *SentenceModel) { m.Lexical.Kinds = nil }, "no feature kinds"},
		{"a zero scale", func(m *SentenceModel) { m.Lexical.Scale = 0 }, "bad scale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			tt.change(m)
			got, err := ParseSentenceModel(encode(m))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.want == "" && got.Lexical.logit([]string{"khoi"}, new([]uint32)) != good().Lexical.logit([]string{"khoi"}, new([]uint32)):
				t.Error("the parsed lexical model scores otherwise than the one written")
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "feeds: ")):
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

// Cross-fitting: each article's lexical scores come from a model that did
// not see it. Here each article's positive sentence holds a word of its
// own, which only the model fitted on every article knows.
func TestCrossFitLexical(t *testing.T) {
	var articles [][]lexicalRow
	for i := range 20 {
		articles = append(articles, []lexicalRow{
			{ids: []uint32{uint32(i + 1)}, fixed: 1, y: 1},
			{ids: []uint32{0}, fixed: 1, y: 0},
		})
	}
	kinds, _ := parseLexicalKinds([]string{"open1"})
	opt := LexicalOptions{Bits: 8, Kinds: []string{"open1"}}.withDefaults()
	oof, all := crossFitLexical(articles, 8, kinds, opt)
	for i, rows := range articles {
		in := all.score(rows[0])
		if !(oof[i][0] < in-0.05) {
			t.Errorf("article %d: out-of-fold score %v, in-sample %v: the out-of-fold model knew its word", i, oof[i][0], in)
		}
		if !(oof[i][1] < oof[i][0]+1e-9 && all.score(rows[1]) < in) {
			t.Errorf("article %d: the negative sentence scores %v out of fold, %v in sample", i, oof[i][1], all.score(rows[1]))
		}
	}
}

// lexicalExamples are synthetic articles whose reference is the one
// sentence that names a charge ("khởi tố"), in a place where only its words
// tell it from the others.
func lexicalExamples(n int) []SummaryExample {
	var out []SummaryExample
	for i := range n {
		key := fmt.Sprintf("Công an huyện số %d đã khởi tố vụ án và bắt tạm giam đối tượng trong ngày hôm qua.", i)
		sents := []string{
			fmt.Sprintf("Công an huyện số %d đã tổ chức hội nghị tổng kết công tác năm trong ngày hôm qua.", i),
			fmt.Sprintf("Công an huyện số %d đã trao tặng quà cho các gia đình khó khăn trong ngày hôm qua.", i),
			fmt.Sprintf("Công an huyện số %d đã tuyên truyền luật giao thông cho học sinh trong ngày hôm qua.", i),
			fmt.Sprintf("Công an huyện số %d đã tham gia giải bóng đá của tỉnh trong ngày hôm qua.", i),
			fmt.Sprintf("Công an huyện số %d đã kiểm tra các cơ sở kinh doanh trong ngày hôm qua.", i),
			fmt.Sprintf("Công an huyện số %d đã dọn vệ sinh môi trường khu dân cư trong ngày hôm qua.", i),
		}
		sents = slices.Insert(sents, i%len(sents), key)
		out = append(out, SummaryExample{ID: fmt.Sprint(i), Title: "Tin tức địa phương", Body: strings.Join(sents, "\n"), Summary: key})
	}
	return out
}

// Training with the lexical model: the lexical feature is learned and
// used, training is deterministic, and the file round-trips.
func TestTrainLexical(t *testing.T) {
	exs := lexicalExamples(60)
	opt := TrainOptions{Lexical: LexicalOptions{Bits: 12, Rate: 0.1, Epochs: 5}}
	m, err := TrainSentenceModel(exs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if m.Lexical == nil || !slices.Equal(m.Features, modelFeatureNames(true)) {
		t.Fatalf("no lexical model: features %v", m.Features)
	}
	if w := m.Weights[len(featureNames)]; w <= 0 {
		t.Errorf("weight of the lexical feature %v, want positive: it alone tells the reference", w)
	}
	if lx := m.Lexical; lx.logit(foldWords("khởi tố vụ án"), new([]uint32)) <= lx.logit(foldWords("tổ chức hội nghị"), new([]uint32)) {
		t.Error("the lexical model does not prefer the words of the reference")
	}
	checkTrainedModel(t, m, exs, opt, lexicalExamples(80)[60:])

	off, err := TrainSentenceModel(exs, TrainOptions{Lexical: LexicalOptions{Bits: -1}})
	if err != nil {
		t.Fatal(err)
	}
	if off.Lexical != nil || !slices.Equal(off.Features, featureNames) {
		t.Errorf("with the lexical model off: lexical %v, features %v", off.Lexical != nil, off.Features)
	}
	for _, bad := range []LexicalOptions{{Bits: 30}, {Bits: 12, Kinds: []string{"words"}}} {
		if _, err := TrainSentenceModel(exs, TrainOptions{Lexical: bad}); err == nil {
			t.Errorf("training with %+v succeeded", bad)
		}
	}
}

// BenchmarkLexicalFeature is what the lexical feature adds to summarising
// an article (compare BenchmarkSummarize's ns/op): the built-in lexical
// model's logit of each candidate of the dev and test articles.
func BenchmarkLexicalFeature(b *testing.B) {
	lx := builtinModel().Lexical
	if lx == nil {
		b.Fatal("the built-in model has no lexical model")
	}
	var pools [][]*sentence
	for _, split := range []string{"dev", "test"} {
		if _, err := os.Stat(filepath.Join(evalDir, "vi-summaries-"+split+".jsonl")); err != nil {
			break
		}
		for _, a := range loadEval(b, "vi-summaries-"+split+".jsonl") {
			if art := (Summarizer{}).prepare(a.Title, Clean(a.Body), defaultTuning); art != nil && len(art.pool) > 0 {
				pools = append(pools, art.pool)
			}
		}
	}
	if len(pools) == 0 {
		for _, a := range benchFixture(b) {
			pools = append(pools, Summarizer{}.prepare(a.title, a.text, defaultTuning).pool)
		}
	}
	b.ReportAllocs()
	var buf []uint32
	for i := 0; b.Loop(); i++ {
		for _, c := range pools[i%len(pools)] {
			lx.logit(c.words, &buf)
		}
	}
}
