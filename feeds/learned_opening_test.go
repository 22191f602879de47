package feeds

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// The built-in opening model and its document frequencies load, and the
// summarizer uses them.
func TestBuiltinOpeningModel(t *testing.T) {
	m := builtinModel()
	if m == nil || m.Opening == nil {
		t.Fatal("the built-in model has no opening model")
	}
	d := builtinDF()
	if d == nil {
		t.Fatal("the built-in document frequencies do not load")
	}
	if d.Articles != 10000 || len(d.DF) != 20000 {
		t.Errorf("document frequencies of %d terms from %d articles, want 20000 from the 10000 training articles", len(d.DF), d.Articles)
	}
	// Common terms weigh less than rare ones, and unknown ones most.
	if !(d.idf("nguoi") < d.idf("ha noi") && d.idf("ha noi") < d.idf("xyzzy")) {
		t.Errorf("idf nguoi %v, ha noi %v, xyzzy %v: want increasing", d.idf("nguoi"), d.idf("ha noi"), d.idf("xyzzy"))
	}
}

func TestParseSentenceModelOpening(t *testing.T) {
	good := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal(summaryWeights, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name   string
		change func(o map[string]any)
		ok     bool
	}{
		{"as built", func(map[string]any) {}, true},
		{"features renamed", func(o map[string]any) { o["features"].([]any)[0] = "other" }, false},
		{"a weight missing", func(o map[string]any) { o["weights"] = o["weights"].([]any)[1:] }, false},
		{"a zero scale", func(o map[string]any) { o["scale"].([]any)[2] = 0.0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			tt.change(m["opening"].(map[string]any))
			b, _ := json.Marshal(m)
			_, err := ParseSentenceModel(b)
			if (err == nil) != tt.ok {
				t.Errorf("ParseSentenceModel: err = %v, want ok = %v", err, tt.ok)
			}
		})
	}
}

func TestDocumentFrequencies(t *testing.T) {
	exs := []SummaryExample{
		{Body: "Hà Nội mưa lớn\nHà Nội ngập"},
		{Body: "Đà Nẵng nắng"},
		{Body: "Hà Nội nắng"},
	}
	d := CountDocumentFrequencies(exs, 3)
	// "ha", "noi", "ha noi" and "nang" are in two articles each, counted once per
	// article; ties beyond the top 3 are cut by term.
	want := map[string]int{"ha": 2, "ha noi": 2, "nang": 2}
	if d.Articles != 3 || !mapsEqual(d.DF, want) {
		t.Errorf("counted %d articles, %v; want 3, %v", d.Articles, d.DF, want)
	}
	var b bytes.Buffer
	if _, err := d.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "3\nha\t2\nha noi\t2\nnang\t2\n" {
		t.Errorf("written %q", got)
	}
	back, err := ParseDocumentFrequencies(b.Bytes())
	if err != nil || back.Articles != 3 || !mapsEqual(back.DF, want) {
		t.Errorf("read back %+v, %v", back, err)
	}
	for _, bad := range []string{"", "x\n", "0\n", "3\nha\n", "3\nha\t9\n", "3\n\t1\n"} {
		if _, err := ParseDocumentFrequencies([]byte(bad)); err == nil {
			t.Errorf("ParseDocumentFrequencies(%q) succeeded", bad)
		}
	}
}

// The IDF table is keyed by hashes of the terms: every term of the
// built-in table keeps its own IDF (no two share a hash), and an article's
// terms, syllables and pairs, get the IDF of their text.
func TestArticleIDF(t *testing.T) {
	d := builtinDF()
	for term, n := range d.DF {
		if got, want := d.idf(term), math.Log(float64(d.Articles+1)/float64(n+1)); got != want {
			t.Fatalf("idf(%q) = %v, want %v", term, got, want)
		}
	}
	a := Summarizer{}.prepare(openingTitle, openingArticle, defaultTuning)
	got := d.articleIDF(a.vocab, a.idf)
	names := make([]string, a.vocab.n)
	for w, id := range a.vocab.uni {
		names[id] = w
	}
	checked := 0
	for w, id := range a.vocab.uni {
		if a.idf[id] > 0 && !a.vocab.stops[id] {
			if want := d.idf(w) / a.idf[id]; got[id] != want {
				t.Errorf("%q: %v, want %v", w, got[id], want)
			}
			checked++
		}
	}
	for key, id := range a.vocab.bi {
		term := names[key>>32] + " " + names[key&0xffffffff]
		if want := d.idf(term) / a.idf[id]; got[id] != want {
			t.Errorf("%q: %v, want %v", term, got[id], want)
		}
		if _, ok := d.DF[term]; ok {
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("only %d terms checked", checked)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// openingArticle has more than five sentences that could open its summary,
// of different lengths.
const openingTitle = "Hà Nội khởi công cầu Trần Hưng Đạo bắc qua sông Hồng"

var openingArticle = strings.Join([]string{
	"Trời Hà Nội sáng nay se lạnh, nhiều người dân mặc áo ấm khi ra đường.",
	"Các tuyến phố quanh khu vực bờ sông đông đúc hơn thường lệ vào giờ cao điểm buổi sáng, xe cộ nối đuôi nhau qua các nút giao.",
	"Nhiều hàng quán ven đường mở cửa sớm.",
	"Sáng 10/10, UBND TP Hà Nội khởi công xây dựng cầu Trần Hưng Đạo bắc qua sông Hồng với tổng mức đầu tư hơn 8.000 tỷ đồng.",
	"Cây cầu dài hơn 5 km, nối quận Hoàn Kiếm với quận Long Biên, dự kiến hoàn thành sau 3 năm.",
	"Một số người đi bộ dừng lại chụp ảnh dòng sông trong ánh nắng nhẹ của buổi sáng đầu thu.",
	"Các cửa hàng tiện lợi gần đó cũng đông khách hơn mọi ngày.",
}, "\n")

// modelWithOpening is the built-in sentence model with an opening model
// that only weighs one feature.
func modelWithOpening(t *testing.T, feature string, weight float64) *SentenceModel {
	t.Helper()
	m := *builtinModel()
	o := &OpeningModel{Features: slices.Clone(openingFeatureNames)}
	for _, f := range openingFeatureNames {
		o.Scale = append(o.Scale, 1)
		w := 0.0
		if f == feature {
			w = weight
		}
		o.Weights = append(o.Weights, w)
	}
	m.Opening = o
	return &m
}

// The opening model chooses, among the summaries the sentence model's best
// openings lead to, the one it scores best: the longest when it likes
// length, the shortest when it does not; without an opening model the
// summary opens with the sentence model's best sentence.
func TestOpeningModelChooses(t *testing.T) {
	s := Summarizer{}
	a := s.prepare(openingTitle, openingArticle, defaultTuning)
	tu := s.score(a, defaultTuning)
	choices := s.openingChoices(a, tu, builtinDF())
	if len(choices) < 3 {
		t.Fatalf("%d choices of opening, want several", len(choices))
	}
	length := func(sents []*sentence) int {
		n := 0
		for _, st := range sents {
			n += st.runes
		}
		return n
	}
	var lengths []int
	for _, o := range shortlist(choices) {
		lengths = append(lengths, length(o.summary))
	}
	longest, shortest := slices.Max(lengths), slices.Min(lengths)
	if longest == shortest {
		t.Fatalf("every opening leads to a summary of %d runes: the test cannot tell the choices apart", longest)
	}
	for _, tt := range []struct {
		name   string
		weight float64
		want   int
	}{{"likes length", 1, longest}, {"dislikes length", -1, shortest}} {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarizer{Model: modelWithOpening(t, "length", tt.weight)}.Summarize(openingTitle, openingArticle)
			if n := length(sentencesOf(a, got)); n != tt.want {
				t.Errorf("summary %q (%d runes of sentences), want one of %d", got, n, tt.want)
			}
		})
	}
	plain := *builtinModel()
	plain.Opening = nil
	got := Summarizer{Model: &plain}.Summarize(openingTitle, openingArticle)
	lead, ant := s.opening(a, tu)
	if want := strings.Join(texts(s.fill(a, lead, ant, tu)), " "); got != want {
		t.Errorf("without an opening model: %q, want %q", got, want)
	}
}

// sentencesOf finds the article's sentences a summary is made of.
func sentencesOf(a *article, summary string) []*sentence {
	var out []*sentence
	for _, st := range a.pool {
		if strings.Contains(summary, st.text) {
			out = append(out, st)
		}
	}
	return out
}

// An opening that tells the title's story still opens the summary: the
// opening model is not consulted.
func TestOpeningModelKeepsTheLead(t *testing.T) {
	text := "Hà Nội khởi công cầu Trần Hưng Đạo bắc qua sông Hồng sáng 10/10, tổng mức đầu tư hơn 8.000 tỷ đồng.\n" + openingArticle
	s := Summarizer{Model: modelWithOpening(t, "length", 1)}
	a := s.prepare(openingTitle, text, defaultTuning)
	tu := s.score(a, defaultTuning)
	if c := s.openingChoices(a, tu, builtinDF()); c != nil {
		t.Errorf("%d choices of opening for an article whose first sentence tells the title's story, want none", len(c))
	}
	if got := s.Summarize(openingTitle, text); !strings.HasPrefix(got, "Hà Nội khởi công cầu") {
		t.Errorf("summary %q does not open with the lead", got)
	}
}

func TestTrainOpeningModel(t *testing.T) {
	exs := oracleExamples(40)
	m, err := TrainSentenceModel(exs, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := CountDocumentFrequencies(exs, 1000)
	o1, err := TrainOpeningModel(exs, m, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	o2, err := TrainOpeningModel(exs, m, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(o1)
	b2, _ := json.Marshal(o2)
	if !bytes.Equal(b1, b2) {
		t.Error("two trainings on the same data differ")
	}
	m.Opening = o1
	b, _ := json.Marshal(m)
	if _, err := ParseSentenceModel(b); err != nil {
		t.Errorf("the trained model does not load: %v", err)
	}
	if _, err := TrainOpeningModel(nil, m, d, 0); err == nil {
		t.Error("training on nothing succeeded")
	}
}

// articleIDF looks terms up by syllable numbers; it must give what looking
// up each term's string gives, for syllables, pairs, stop syllables and
// terms the table lacks, and never match a longer term by its halves.
func TestArticleIDFMatchesLookup(t *testing.T) {
	d := &DocumentFrequencies{Articles: 99, DF: map[string]int{
		"ha": 40, "noi": 30, "ha noi": 20, "mua": 9, "mua to": 3, "to ha noi": 1, "va": 50, "la va": 5,
	}}
	sents := []*sentence{
		{words: strings.Fields("ha noi mua to va la")},
		{words: strings.Fields("mua to ha noi")},
		{words: strings.Fields("nguoi dan ha noi la va")},
	}
	_, v, local := weigh(sents, strings.Fields("mua to o ha noi"))
	got := d.articleIDF(v, local)
	want := make([]float64, v.n)
	for w, id := range v.uni {
		if local[id] > 0 && !v.stops[id] {
			want[id] = d.idf(w) / local[id]
		}
	}
	names := make([]string, v.n)
	for w, id := range v.uni {
		names[id] = w
	}
	for key, id := range v.bi {
		if local[id] > 0 {
			want[id] = d.idf(names[key>>32]+" "+names[key&0xffffffff]) / local[id]
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("articleIDF = %v, want %v", got, want)
	}
	if d.idf("ha noi") == d.idf("xyzzy") || d.idf("to ha noi") == d.idf("xyzzy") {
		t.Error("the table's terms weigh as unknown ones")
	}
}
