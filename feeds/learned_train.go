package feeds

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// TrainOptions say how TrainSentenceModel learns. The zero value is the
// configuration the built-in model was trained with.
type TrainOptions struct {
	// L2 is the ridge penalty on the weights; 0 means 1.
	L2 float64
	// Iterations of Newton's method; 0 means 12.
	Iterations int
	// Lexical says how the lexical model is fitted, or that there is none
	// (see LexicalOptions).
	Lexical LexicalOptions
}

// TrainSentenceModel fits the Summarizer's sentence model to examples:
// each article is cleaned and split as the Summarizer does, each sentence it
// could choose is labelled by the oracle (the sentences chosen greedily,
// within the default budget, to maximise ROUGE-1 and ROUGE-2 against the
// outlet's lead) and a logistic regression over the standardised features
// is fitted by Newton's method. Unless opt.Lexical turns it off, a lexical
// model over hashed words of each sentence is fitted to the same labels
// first, and its logit is one more feature, computed for the training
// sentences by models fitted on the other folds of articles. It is
// deterministic: the same examples in the same order give the same model.
func TrainSentenceModel(examples []SummaryExample, opt TrainOptions) (*SentenceModel, error) {
	if opt.L2 <= 0 {
		opt.L2 = 1
	}
	if opt.Iterations <= 0 {
		opt.Iterations = 12
	}
	lo := opt.Lexical.withDefaults()
	lexical := lo.Bits > 0
	var kinds lexicalKindSet
	if lexical {
		if lo.Bits < minLexicalBits || lo.Bits > maxLexicalBits {
			return nil, fmt.Errorf("feeds: train sentence model: lexical bits %d, want %d to %d", lo.Bits, minLexicalBits, maxLexicalBits)
		}
		var err error
		if kinds, err = parseLexicalKinds(lo.Kinds); err != nil {
			return nil, fmt.Errorf("feeds: train sentence model: %w", err)
		}
	}
	var xs [][]float64
	var ys []float64
	var lexRows [][]lexicalRow // by article
	used := 0
	for _, ex := range examples {
		x, y, words := labelledSentences(ex)
		if len(x) == 0 {
			continue
		}
		used++
		xs = append(xs, x...)
		ys = append(ys, y...)
		if lexical {
			rows := make([]lexicalRow, len(words))
			for i, w := range words {
				ids, fixed, bag := lexicalFeatures(nil, w, lo.Bits, kinds)
				rows[i] = lexicalRow{ids: ids, fixed: fixed, bag: bag, y: y[i]}
			}
			lexRows = append(lexRows, rows)
		}
	}
	if len(xs) == 0 {
		return nil, errors.New("feeds: train sentence model: no article has sentences to choose from")
	}
	names := modelFeatureNames(lexical)
	var lex *LexicalModel
	if lexical {
		// The sentence model learns how far to trust the lexical score
		// from scores of articles the lexical model did not see, as at
		// run time; the model it keeps is fitted on every article.
		var oof [][]float64
		oof, lex = crossFitLexical(lexRows, lo.Bits, kinds, lo)
		r := 0
		for _, scores := range oof {
			for _, v := range scores {
				xs[r] = append(slices.Clip(xs[r]), v)
				r++
			}
		}
	}
	m, err := fitSentenceWeights(xs, ys, names, opt)
	if err != nil {
		return nil, err
	}
	m.Lexical = lex
	m.Trained = fmt.Sprintf("logistic regression on oracle membership, L2 %g, %d Newton steps, %d sentences of %d articles",
		opt.L2, opt.Iterations, len(xs), used)
	if lexical {
		m.Trained += fmt.Sprintf("; lexical feature: logistic regression over %v hashed into 2^%d buckets, AdaGrad rate %g, L2 %g, %d epochs, out of %d folds",
			lex.Kinds, lo.Bits, lo.Rate, lo.L2, lo.Epochs, lo.Folds)
	}
	return m, nil
}

// fitSentenceWeights standardises xs (features names) and fits the
// logistic regression of ys on them.
func fitSentenceWeights(xs [][]float64, ys []float64, names []string, opt TrainOptions) (*SentenceModel, error) {
	k := len(names)
	m := &SentenceModel{
		Features: slices.Clone(names),
		Mean:     make([]float64, k),
		Scale:    make([]float64, k),
		Weights:  make([]float64, k),
	}
	for _, x := range xs {
		for j, v := range x {
			m.Mean[j] += v
		}
	}
	for j := range m.Mean {
		m.Mean[j] /= float64(len(xs))
	}
	for _, x := range xs {
		for j, v := range x {
			d := v - m.Mean[j]
			m.Scale[j] += d * d
		}
	}
	for j := range m.Scale {
		m.Scale[j] = math.Sqrt(m.Scale[j] / float64(len(xs)))
		if m.Scale[j] < 1e-9 {
			m.Scale[j] = 1 // a constant feature: its weight stays 0
		}
	}
	z := make([][]float64, len(xs)) // standardised, with a 1 for the bias
	for i, x := range xs {
		z[i] = make([]float64, k+1)
		for j, v := range x {
			z[i][j] = (v - m.Mean[j]) / m.Scale[j]
		}
		z[i][k] = 1
	}
	w, err := fitLogistic(z, ys, opt.L2, opt.Iterations)
	if err != nil {
		return nil, err
	}
	copy(m.Weights, w[:k])
	m.Bias = w[k]
	return m, nil
}

// labelledSentences returns the features (featureNames) of the sentences
// the Summarizer would score in ex, their labels and their folded
// syllables; none when it would not score (the text fits the budget, or
// offers fewer than two sentences).
func labelledSentences(ex SummaryExample) ([][]float64, []float64, [][]string) {
	var s Summarizer
	a := s.prepare(ex.Title, Clean(ex.Body), defaultTuning)
	if a == nil || a.whole || len(a.pool) < 2 {
		return nil, nil, nil
	}
	ref := rougeTokens(ex.Summary)
	if len(ref) == 0 {
		return nil, nil, nil
	}
	x := a.features(nil)
	y := make([]float64, len(a.pool))
	for _, i := range oracle(a.pool, ref, s) {
		y[i] = 1
	}
	words := make([][]string, len(a.pool))
	for i, c := range a.pool {
		words[i] = c.words
	}
	return x, y, words
}

// oracle chooses sentences of pool greedily, each the one that raises the
// mean of ROUGE-1 and ROUGE-2 F1 against ref the most, within the
// Summarizer's budget, until none raises it. It returns their indexes in
// the order it chose them.
func oracle(pool []*sentence, ref []string, s Summarizer) []int {
	maxChars, maxSentences := s.budget()
	ref1, ref2 := ngrams(ref, 1), ngrams(ref, 2)
	var chosen []int
	var words []string
	length, best := 0, 0.0
	for len(chosen) < maxSentences {
		pick, pickScore := -1, best
		for i, c := range pool {
			if slices.Contains(chosen, i) || length+1+c.runes > maxChars+1 {
				continue
			}
			cand := append(slices.Clip(words), c.words...)
			r1 := f1(overlap(ngrams(cand, 1), ref1), len(cand), len(ref))
			r2 := f1(overlap(ngrams(cand, 2), ref2), max(len(cand)-1, 0), max(len(ref)-1, 0))
			if sc := (r1 + r2) / 2; sc > pickScore {
				pick, pickScore = i, sc
			}
		}
		if pick < 0 {
			break
		}
		chosen = append(chosen, pick)
		words = append(words, pool[pick].words...)
		length += 1 + pool[pick].runes
		best = pickScore
	}
	return chosen
}

// OracleSummary is the best extractive summary of ex that the oracle finds
// among the sentences the Summarizer could choose (see
// TrainSentenceModel): the ceiling of choosing sentences, for reference.
func OracleSummary(ex SummaryExample) string {
	var s Summarizer
	a := s.prepare(ex.Title, Clean(ex.Body), defaultTuning)
	switch {
	case a == nil:
		return ""
	case a.whole || len(a.pool) == 0:
		return s.Summarize(ex.Title, Clean(ex.Body))
	}
	var out []string
	chosen := oracle(a.pool, rougeTokens(ex.Summary), s)
	slices.Sort(chosen)
	for _, i := range chosen {
		out = append(out, a.pool[i].text)
	}
	return strings.Join(out, " ")
}

// fitLogistic fits weights w minimising the logistic loss of z·w against
// y (in [0, 1]) plus l2/2·|w|² (the last column, the bias, unpenalised) by
// Newton's method.
func fitLogistic(z [][]float64, y []float64, l2 float64, iterations int) ([]float64, error) {
	k := len(z[0])
	w := make([]float64, k)
	for range iterations {
		grad := make([]float64, k)
		hess := make([][]float64, k)
		for j := range hess {
			hess[j] = make([]float64, k)
		}
		for i, x := range z {
			t := 0.0
			for j, v := range x {
				t += w[j] * v
			}
			p := 1 / (1 + math.Exp(-t))
			d := p - y[i]
			h := p * (1 - p)
			for j, v := range x {
				grad[j] += d * v
				hv := h * v
				row := hess[j]
				for l := j; l < k; l++ {
					row[l] += hv * x[l]
				}
			}
		}
		for j := range k {
			for l := 0; l < j; l++ {
				hess[j][l] = hess[l][j]
			}
			if j < k-1 {
				grad[j] += l2 * w[j]
				hess[j][j] += l2
			}
		}
		step, err := solve(hess, grad)
		if err != nil {
			return nil, err
		}
		for j := range w {
			w[j] -= step[j]
		}
	}
	return w, nil
}

// solve returns x with a·x = b by Gaussian elimination with partial
// pivoting; a and b are overwritten.
func solve(a [][]float64, b []float64) ([]float64, error) {
	n := len(b)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return nil, fmt.Errorf("feeds: train sentence model: singular system at feature %d", c)
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for l := c; l < n; l++ {
				a[r][l] -= f * a[c][l]
			}
			b[r] -= f * b[c]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for l := r + 1; l < n; l++ {
			s -= a[r][l] * x[l]
		}
		x[r] = s / a[r][r]
	}
	return x, nil
}

// TrainOpeningModel fits the opening model (see OpeningModel) of m, whose
// sentence weights are already fitted, on examples, with d's IDF weights:
// for each article, every opening the Summarizer could take is filled
// into a summary and scored by ROUGE-1 + ROUGE-2 against the outlet's
// lead, and a ridge regression (penalty l2; 0 means 10 000) of those
// scores on the summaries' features, both centred per article, is solved.
// It is deterministic.
func TrainOpeningModel(examples []SummaryExample, m *SentenceModel, d *DocumentFrequencies, l2 float64) (*OpeningModel, error) {
	if l2 <= 0 {
		l2 = 10000
	}
	s := Summarizer{Model: m, DF: d}
	k := len(openingFeatureNames)
	var devs [][]float64
	var ys []float64
	for _, ex := range examples {
		a := s.prepare(ex.Title, Clean(ex.Body), defaultTuning)
		if a == nil || a.whole || len(a.pool) < minLearnedPool {
			continue
		}
		tu := s.score(a, defaultTuning)
		if !tu.learned {
			continue
		}
		ref := rougeTokens(ex.Summary)
		choices := s.openingChoices(a, tu, d)
		if len(ref) == 0 || choices == nil {
			continue
		}
		xm := make([]float64, k)
		ym := 0.0
		y := make([]float64, len(choices))
		for i, o := range choices {
			var words []string
			for _, st := range o.summary {
				words = append(words, st.words...)
			}
			y[i] = rougeN(words, ref, 1) + rougeN(words, ref, 2)
			ym += y[i]
			for j, v := range o.x {
				xm[j] += v
			}
		}
		n := float64(len(choices))
		for i, o := range choices {
			dv := make([]float64, k)
			for j, v := range o.x {
				dv[j] = v - xm[j]/n
			}
			devs = append(devs, dv)
			ys = append(ys, y[i]-ym/n)
		}
	}
	if len(devs) == 0 {
		return nil, errors.New("feeds: train opening model: no article offers a choice of opening")
	}
	o := &OpeningModel{Features: slices.Clone(openingFeatureNames), Scale: make([]float64, k)}
	for _, dv := range devs {
		for j, v := range dv {
			o.Scale[j] += v * v
		}
	}
	for j := range o.Scale {
		o.Scale[j] = math.Sqrt(o.Scale[j] / float64(len(devs)))
		if o.Scale[j] < 1e-9 {
			o.Scale[j] = 1
		}
	}
	a := make([][]float64, k)
	for j := range a {
		a[j] = make([]float64, k)
	}
	b := make([]float64, k)
	z := make([]float64, k)
	for r, dv := range devs {
		for j, v := range dv {
			z[j] = v / o.Scale[j]
		}
		for j := range k {
			b[j] += z[j] * ys[r]
			for l := j; l < k; l++ {
				a[j][l] += z[j] * z[l]
			}
		}
	}
	for j := range k {
		for l := 0; l < j; l++ {
			a[j][l] = a[l][j]
		}
		a[j][j] += l2
	}
	w, err := solve(a, b)
	if err != nil {
		return nil, fmt.Errorf("feeds: train opening model: %w", err)
	}
	o.Weights = w
	return o, nil
}
