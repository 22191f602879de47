package feeds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/newsbot-vn/newsbot/storage"
)

// foldWords must split exactly as matching and ROUGE always did.
func TestFoldWords(t *testing.T) {
	for _, s := range []string{
		"", "Hà Nội", "ĐẮK LẮK, Đà Nẵng!", "TP.HCM 1.400 tỷ, 1,5%", "“Tuy nhiên” (Q. 1) – ông T.B.",
		"Nguyễn Văn A\u0301 decomposed", "ﬁ ligature, Ⅻ, ½, Ａｂｃ", "Straße ǅ ŉ", "emoji 😀 and 中文 и кириллица",
		"\uFFFD\x80broken", "tab\tand\nnewline", "Ủy ban nhân dân Thành phố Hồ Chí Minh",
	} {
		if got, want := foldWords(s), storage.Words(storage.Fold(s)); !slices.Equal(got, want) {
			t.Errorf("foldWords(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzFoldWords(f *testing.F) {
	f.Add("Sáng 5/7, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị.")
	f.Add("Đ\u0301ặc biệt “nổ” (SN 1994)")
	f.Fuzz(func(t *testing.T, s string) {
		// The summarizer folds valid text only (SplitSentences repairs it);
		// on invalid bytes NFD itself varies ("\xf3Ύ" keeps its accent).
		s = strings.ToValidUTF8(s, "\uFFFD")
		if got, want := foldWords(s), storage.Words(storage.Fold(s)); !slices.Equal(got, want) {
			t.Errorf("foldWords(%q) = %q, want %q", s, got, want)
		}
	})
}

// The committed weights load, name the features the summarizer computes,
// and are what the Summarizer uses when given no model.
func TestBuiltinModel(t *testing.T) {
	m, err := ParseSentenceModel(summaryWeights)
	if err != nil {
		t.Fatalf("the committed summary_weights.json does not load: %v", err)
	}
	if builtinModel() == nil {
		t.Fatal("builtinModel is nil")
	}
	if !slices.Equal(m.Weights, builtinModel().Weights) || m.Bias != builtinModel().Bias {
		t.Error("builtinModel differs from summary_weights.json")
	}
	if m.Trained == "" || strings.Contains(m.Trained, "placeholder") {
		t.Errorf("the weights do not say how they were trained: %q", m.Trained)
	}
	nonzero := 0
	for _, w := range m.Weights {
		if w != 0 {
			nonzero++
		}
	}
	if nonzero < len(featureNames)/2 {
		t.Errorf("only %d of %d weights are set", nonzero, len(featureNames))
	}
}

func TestParseSentenceModel(t *testing.T) {
	good := func() SentenceModel {
		n := len(featureNames)
		m := SentenceModel{Features: slices.Clone(featureNames), Mean: make([]float64, n), Scale: make([]float64, n), Weights: make([]float64, n)}
		for i := range m.Scale {
			m.Scale[i] = 1
		}
		return m
	}
	encode := func(m SentenceModel) []byte {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string // in the error; "" for none
	}{
		{"valid", encode(good()), ""},
		{"not JSON", []byte("{weights: 1"), "parse sentence model"},
		{"other features", func() []byte { m := good(); m.Features[0] = "shoe_size"; return encode(m) }(), "features"},
		{"features in another order", func() []byte {
			m := good()
			m.Features[0], m.Features[1] = m.Features[1], m.Features[0]
			return encode(m)
		}(), "features"},
		{"a weight missing", func() []byte { m := good(); m.Weights = m.Weights[1:]; return encode(m) }(), "weights"},
		{"a zero scale", func() []byte { m := good(); m.Scale[3] = 0; return encode(m) }(), "bad scale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSentenceModel(tt.data)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "feeds: ")):
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

// featureArticle is a real-shaped article whose sentences each show one
// feature.
var featureArticle = strings.Join([]string{
	"Sáng 5/7, Công an tỉnh Phú Thọ bắt giữ Nguyễn Văn Bình về hành vi lừa đảo chiếm đoạt tài sản.",
	"Theo cơ quan điều tra, Bình đã lừa 12 người với tổng số tiền 1,5 tỷ đồng.",
	"Đại diện Công an tỉnh cho biết vụ việc đang được mở rộng điều tra.",
	"“Chúng tôi sẽ xử lý nghiêm theo quy định của pháp luật”, ông nói.",
	"Tuy nhiên, nhiều nạn nhân vẫn chưa được trả lại tiền đã mất.",
	"Người dân cần làm gì để không bị lừa như vậy?",
	"Cơ quan công an khuyến cáo người dân mấy điều sau:",
	"Không chuyển tiền cho người lạ (kể cả người tự xưng là cán bộ) qua điện thoại.",
}, "\n")

func TestSentenceFeatures(t *testing.T) {
	title := "Phú Thọ bắt giữ đối tượng lừa đảo chiếm đoạt 1,5 tỷ đồng"
	a := Summarizer{MaxChars: 200}.prepare(title, featureArticle, defaultTuning)
	if a == nil || len(a.pool) != 8 {
		t.Fatalf("pool of %v sentences, want 8", a)
	}
	feats := a.features(nil)
	get := func(i int, name string) float64 {
		t.Helper()
		j := slices.Index(featureNames, name)
		if j < 0 {
			t.Fatalf("no feature %q", name)
		}
		return feats[i][j]
	}
	tests := []struct {
		sentence int
		feature  string
		want     float64
	}{
		{0, "first", 1}, {1, "first", 0}, {1, "second", 1}, {2, "third", 1}, {0, "article_first", 1},
		{0, "log_position", 0}, {3, "log_position", math.Log(4)}, {7, "relative", 1},
		{0, "date", 1}, {1, "date", 0}, {0, "time_opener", 1}, {1, "time_opener", 0},
		{1, "numbers", math.Log(4)}, // "12", and "1,5" folds to the words "1" and "5"
		{2, "says", 1}, {3, "says", 1}, {0, "says", 0},
		{3, "quote", 1}, {2, "quote", 0},
		{4, "connective", 1}, {3, "connective", 0}, {3, "antecedent", 1}, {2, "antecedent", 0},
		{5, "question", 1}, {4, "question", 0},
		{6, "colon_end", 1}, {6, "no_final_stop", 0}, {7, "brackets", 1}, {6, "brackets", 0},
		{0, "log_candidates", math.Log(8)},
	}
	for _, tt := range tests {
		if got := get(tt.sentence, tt.feature); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("sentence %d %s = %v, want %v (%q)", tt.sentence, tt.feature, got, tt.want, a.pool[tt.sentence].text)
		}
	}
	// Sentence 0 tells the title's story; its similarities rank first.
	if get(0, "title_rank") != 0 || get(0, "title_vs_best") != 1 || get(0, "best_title") != 1 {
		t.Errorf("the lead does not rank first on the title: rank %v, vs best %v", get(0, "title_rank"), get(0, "title_vs_best"))
	}
	if c := get(0, "title_cover"); c < 0.5 || c > 1 {
		t.Errorf("title_cover of the lead = %v", c)
	}
	if c := get(0, "capitals"); c <= get(5, "capitals") {
		t.Errorf("capitals: the lead full of names %v <= a question without %v", c, get(5, "capitals"))
	}
	for i, x := range feats {
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("sentence %d %s = %v", i, featureNames[j], v)
			}
		}
	}
}

// modelFavouring is a model that scores by one feature alone.
func modelFavouring(t *testing.T, feature string) *SentenceModel {
	t.Helper()
	n := len(featureNames)
	m := &SentenceModel{Features: slices.Clone(featureNames), Mean: make([]float64, n), Scale: make([]float64, n), Weights: make([]float64, n)}
	for i := range m.Scale {
		m.Scale[i] = 1
	}
	m.Weights[slices.Index(featureNames, feature)] = 10
	return m
}

// The Summarizer picks by the model's scores: with a model that likes only
// quotations, the quotation is the one-sentence summary; with one that likes
// only questions, the question; the heuristic picks the lead.
func TestSummarizerUsesModel(t *testing.T) {
	title := "Phú Thọ bắt giữ đối tượng lừa đảo chiếm đoạt 1,5 tỷ đồng"
	tests := []struct {
		name  string
		model *SentenceModel
		want  string
	}{
		{"quotation", modelFavouring(t, "quote"), "“Chúng tôi sẽ xử lý nghiêm theo quy định của pháp luật”, ông nói."},
		{"question", modelFavouring(t, "question"), "Người dân cần làm gì để không bị lừa như vậy?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Summarizer{MaxSentences: 1, Model: tt.model}).Summarize(title, featureArticle); got != tt.want {
				t.Errorf("Summarize = %q, want %q", got, tt.want)
			}
		})
	}
	lead := strings.SplitN(featureArticle, "\n", 2)[0]
	if got := strings.Join(Summarizer{MaxSentences: 1}.sentences(title, featureArticle, heuristicTuning), " "); got != lead {
		t.Errorf("heuristic = %q, want the lead %q", got, lead)
	}
}

// The built-in model, not position, chooses: in an article whose opening
// is a weather aside, it opens with the sentence that tells the title's
// story, where the heuristic (lead-biased) keeps one of the first two.
func TestBuiltinModelChooses(t *testing.T) {
	title := "Hà Nội khởi công cầu Trần Hưng Đạo bắc qua sông Hồng"
	text := strings.Join([]string{
		"Trời Hà Nội sáng nay se lạnh, nhiều người dân mặc áo ấm khi ra đường.",
		"Các tuyến phố quanh khu vực bờ sông đông đúc hơn thường lệ vào giờ cao điểm buổi sáng.",
		"Nhiều hàng quán ven đường mở cửa sớm để phục vụ khách qua lại khu vực này.",
		"Sáng 10/10, UBND TP Hà Nội khởi công xây dựng cầu Trần Hưng Đạo bắc qua sông Hồng với tổng mức đầu tư hơn 8.000 tỷ đồng.",
		"Cây cầu dài hơn 5 km, nối quận Hoàn Kiếm với quận Long Biên, dự kiến hoàn thành sau 3 năm.",
		"Một số người đi bộ dừng lại chụp ảnh dòng sông trong ánh nắng nhẹ.",
		"Các cửa hàng tiện lợi gần đó cũng đông khách hơn mọi ngày.",
	}, "\n")
	want := "Sáng 10/10, UBND TP Hà Nội khởi công"
	got := Summarizer{MaxSentences: 1}.Summarize(title, text)
	if !strings.HasPrefix(got, want) {
		t.Errorf("learned summary = %q, want the sentence starting %q", got, want)
	}
	heur := strings.Join(Summarizer{MaxSentences: 1}.sentences(title, text, heuristicTuning), " ")
	if strings.HasPrefix(heur, want) {
		t.Errorf("the heuristic already picks %q: the test does not tell the model from position", heur)
	}
}

// oracleExamples are synthetic articles whose reference is one of their
// sentences, which a model can learn to find: it is the one that reports
// speech ("cho biết").
func oracleExamples(n int) []SummaryExample {
	places := []string{"Hà Nội", "Đà Nẵng", "Cần Thơ", "Huế", "Nha Trang", "Vinh", "Lào Cai", "Sơn La"}
	things := []string{"cầu", "trường học", "bệnh viện", "chợ", "đường", "nhà máy", "công viên", "bến xe"}
	var out []SummaryExample
	for i := range n {
		p, th := places[i%len(places)], things[(i/len(places))%len(things)]
		key := fmt.Sprintf("Ông Trần Văn Nam cho biết %s mới ở %s sẽ mở cửa vào tháng %d tới sau nhiều năm chờ đợi.", th, p, i%12+1)
		sents := []string{
			fmt.Sprintf("Người dân %s đi lại đông đúc trên các tuyến phố chính vào dịp cuối tuần vừa qua.", p),
			fmt.Sprintf("Thời tiết ở %s những ngày này khá dễ chịu với nắng nhẹ vào buổi sáng và mưa rào buổi chiều.", p),
			fmt.Sprintf("Nhiều cửa hàng dọc hai bên đường ở %s treo biển giảm giá để thu hút khách hàng.", p),
			fmt.Sprintf("Các em học sinh tan trường lúc %d giờ chiều, phụ huynh đứng chờ kín cổng.", i%5+4),
			fmt.Sprintf("Một số tuyến xe buýt ở %s được điều chỉnh lộ trình để tránh các điểm thi công.", p),
			fmt.Sprintf("Những hàng cây xanh ven hồ ở %s vừa được cắt tỉa gọn gàng trước mùa mưa bão.", p),
		}
		at := i % len(sents)
		sents = slices.Insert(sents, at, key)
		out = append(out, SummaryExample{
			ID: fmt.Sprint(i), Title: fmt.Sprintf("%s mới ở %s sắp mở cửa", th, p),
			Body: strings.Join(sents, "\n"), Summary: key,
		})
	}
	return out
}

func TestTrainSentenceModel(t *testing.T) {
	exs := oracleExamples(60)
	m, err := TrainSentenceModel(exs, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Weights[slices.Index(featureNames, "says")]; w <= 0 {
		t.Errorf("weight of says = %v: the model did not learn what marks the reference", w)
	}
	checkTrainedModel(t, m, exs, TrainOptions{}, oracleExamples(80)[60:])
	if _, err := TrainSentenceModel(nil, TrainOptions{}); err == nil {
		t.Error("training on nothing succeeded")
	}
}

// checkTrainedModel checks what every trained model must do: training on
// the same examples gives the same file, the file loads, and the model
// finds the reference sentence of articles it has not seen.
func checkTrainedModel(t *testing.T, m *SentenceModel, exs []SummaryExample, opt TrainOptions, unseen []SummaryExample) {
	t.Helper()
	again, err := TrainSentenceModel(exs, opt)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := json.Marshal(m)
	b2, _ := json.Marshal(again)
	if !bytes.Equal(b1, b2) {
		t.Error("two trainings on the same data differ")
	}
	loaded, err := ParseSentenceModel(b1)
	if err != nil {
		t.Fatalf("the trained model does not load: %v", err)
	}
	s := Summarizer{Model: loaded, MaxSentences: 1}
	if scores := EvaluateSummaries(unseen, func(e SummaryExample) string { return s.Summarize(e.Title, e.Body) }); scores.R1 < 0.95 {
		t.Errorf("on unseen synthetic articles: %v, want the reference sentence each time", scores)
	}
}

// The oracle finds the sentences that make the reference.
func TestOracle(t *testing.T) {
	ex := oracleExamples(3)[2]
	if got := OracleSummary(ex); got != ex.Summary {
		t.Errorf("OracleSummary = %q, want %q", got, ex.Summary)
	}
}

func TestReadSummaryExamples(t *testing.T) {
	in := `{"id":"a","title":"Phú Thọ : Bắt giữ","body":"Dòng một ( SN 1994 ) .\nDòng hai “ nổ ” .","summary":"Tóm tắt ."}` + "\n\n" +
		`{"id":"b","title":"T","body":"B","summary":"S"}` + "\n"
	exs, err := ReadSummaryExamples(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []SummaryExample{
		{ID: "a", Title: "Phú Thọ: Bắt giữ", Body: "Dòng một (SN 1994).\nDòng hai “nổ”.", Summary: "Tóm tắt."},
		{ID: "b", Title: "T", Body: "B", Summary: "S"},
	}
	if !slices.Equal(exs, want) {
		t.Errorf("ReadSummaryExamples = %+v, want %+v", exs, want)
	}
	_, err = ReadSummaryExamples(strings.NewReader(`{"id":"a"}` + "\n" + `{"id":`))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a broken line: error %v, want one naming line 2", err)
	}
}
