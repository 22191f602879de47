package feeds

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// LexicalModel scores a sentence by its words: a logistic regression over
// hashed features of its folded syllables (how it opens, how it ends, the
// syllables and pairs it holds), fitted to the same labels as the sentence
// model. Outlets' leads have a lexical style ("Theo đó", "Sáng 27/8, Công
// an…", "cho biết", "khởi tố") that the dense features only partly name;
// the sentence model takes this model's logit as one feature, "lexical".
type LexicalModel struct {
	// Bits: features are hashed into 2^Bits buckets.
	Bits int `json:"bits"`
	// Kinds are the feature kinds hashed, in lexicalKinds order.
	Kinds []string `json:"kinds"`
	Bias  float64  `json:"bias"`
	// Scale is the weight of one step of Weights.
	Scale float64 `json:"scale"`
	// Weights are the 2^Bits bucket weights as little-endian int16 steps
	// of Scale (base64 in JSON: an eighth of the size of decimal text, and
	// parsed once; the rounding moves a logit by under 1e-3).
	Weights []byte `json:"weights"`

	w     []float32 // Weights decoded
	kinds lexicalKindSet
}

// lexicalKinds are the feature kinds a LexicalModel may hash. Digits are
// one symbol ('#'): "Ngày 17-6" and "Ngày 2-9" open alike.
var lexicalKinds = []string{
	"open1", // the first syllable
	"open2", // the first two
	"open3", // the first three
	"last2", // the last two
	"uni",   // every syllable (bag, weighed 1/√n)
	"bi",    // every pair of syllables (bag, weighed 1/√n)
}

// DefaultLexicalKinds are the kinds TrainSentenceModel hashes when its
// options name none.
var DefaultLexicalKinds = []string{"uni", "bi"}

// LexicalKinds are every kind a lexical model may hash, in the order a
// model lists them.
func LexicalKinds() []string { return slices.Clone(lexicalKinds) }

type lexicalKindSet uint8

func (s lexicalKindSet) has(kind int) bool { return s&(1<<kind) != 0 }

const (
	kindOpen1 = iota
	kindOpen2
	kindOpen3
	kindLast2
	kindUni
	kindBi
)

// parseLexicalKinds checks that kinds are known, distinct and in
// lexicalKinds order, and returns them as a set.
func parseLexicalKinds(kinds []string) (lexicalKindSet, error) {
	var s lexicalKindSet
	last := -1
	for _, k := range kinds {
		i := slices.Index(lexicalKinds, k)
		if i < 0 {
			return 0, fmt.Errorf("lexical model: unknown feature kind %q (known: %v)", k, lexicalKinds)
		}
		if i <= last {
			return 0, fmt.Errorf("lexical model: feature kinds %v repeat or are out of order %v", kinds, lexicalKinds)
		}
		last = i
		s |= 1 << i
	}
	if s == 0 {
		return 0, errors.New("lexical model: no feature kinds")
	}
	return s, nil
}

// Bucket counts a LexicalModel may use: under 2^8 everything collides, over
// 2^20 the weights would be megabytes.
const minLexicalBits, maxLexicalBits = 8, 20

// validate checks the model and decodes its weights.
func (lx *LexicalModel) validate() error {
	if lx.Bits < minLexicalBits || lx.Bits > maxLexicalBits {
		return fmt.Errorf("lexical model: %d bits, want %d to %d", lx.Bits, minLexicalBits, maxLexicalBits)
	}
	kinds, err := parseLexicalKinds(lx.Kinds)
	if err != nil {
		return err
	}
	if want := 2 << lx.Bits; len(lx.Weights) != want {
		return fmt.Errorf("lexical model: %d bytes of weights, want %d for %d bits", len(lx.Weights), want, lx.Bits)
	}
	if !(lx.Scale > 0) || math.IsInf(lx.Scale, 0) {
		return fmt.Errorf("lexical model: bad scale %v", lx.Scale)
	}
	if math.IsNaN(lx.Bias) || math.IsInf(lx.Bias, 0) {
		return fmt.Errorf("lexical model: bias %v", lx.Bias)
	}
	lx.kinds = kinds
	lx.decode()
	return nil
}

// decode sets w from Weights and Scale.
func (lx *LexicalModel) decode() {
	lx.w = make([]float32, len(lx.Weights)/2)
	for i := range lx.w {
		lx.w[i] = float32(float64(int16(binary.LittleEndian.Uint16(lx.Weights[2*i:]))) * lx.Scale)
	}
}

// newLexicalModel builds a model from fitted weights, rounded to steps of
// the largest over 32 767 as the file stores them, so that what is
// measured is what is written.
func newLexicalModel(bits int, kinds lexicalKindSet, bias float64, w []float64) *LexicalModel {
	top := 0.0
	for _, v := range w {
		top = max(top, math.Abs(v))
	}
	if top == 0 {
		top = 1
	}
	lx := &LexicalModel{Bits: bits, Bias: bias, Scale: top / math.MaxInt16, Weights: make([]byte, 2*len(w)), kinds: kinds}
	for i, k := range lexicalKinds {
		if kinds.has(i) {
			lx.Kinds = append(lx.Kinds, k)
		}
	}
	for i, v := range w {
		binary.LittleEndian.PutUint16(lx.Weights[2*i:], uint16(int16(math.Round(v/lx.Scale))))
	}
	lx.decode()
	return lx
}

// logit is the model's score of a sentence's folded syllables; buf is
// scratch space, reused across calls.
func (lx *LexicalModel) logit(words []string, buf *[]uint32) float64 {
	ids, fixed, bag := lexicalFeatures((*buf)[:0], words, lx.Bits, lx.kinds)
	*buf = ids
	z, b := 0.0, 0.0
	for _, id := range ids[:fixed] {
		z += float64(lx.w[id])
	}
	for _, id := range ids[fixed:] {
		b += float64(lx.w[id])
	}
	return lx.Bias + z + bag*b
}

// lexicalFeatures appends to dst the buckets of a sentence's features: the
// first fixed ones have value 1, the rest (the bags) value bag each.
func lexicalFeatures(dst []uint32, words []string, bits int, kinds lexicalKindSet) (ids []uint32, fixed int, bag float64) {
	n := len(words)
	add := func(kind int, ws []string) {
		dst = append(dst, lexicalBucket(lexicalHash(byte(kind), ws), bits))
	}
	for k, kind := range []int{kindOpen1, kindOpen2, kindOpen3} {
		if kinds.has(kind) && n > k {
			add(kind, words[:k+1])
		}
	}
	if kinds.has(kindLast2) && n >= 2 {
		add(kindLast2, words[n-2:])
	}
	fixed = len(dst)
	if kinds.has(kindUni) {
		for i := range words {
			add(kindUni, words[i:i+1])
		}
	}
	if kinds.has(kindBi) {
		for i := 1; i < n; i++ {
			add(kindBi, words[i-1:i+1])
		}
	}
	if m := len(dst) - fixed; m > 0 {
		bag = 1 / math.Sqrt(float64(m))
	}
	return dst, fixed, bag
}

// FNV-1a, 32 bits: fixed, so that a model's buckets mean the same on
// every machine and in every version.
const fnvOffset32, fnvPrime32 = 2166136261, 16777619

// lexicalHash hashes a kind and its syllables, joined by spaces, straight
// from the folded bytes (no string is built); a syllable holding a digit
// hashes as '#'.
func lexicalHash(kind byte, words []string) uint32 {
	h := uint32(fnvOffset32)
	h = (h ^ uint32(kind)) * fnvPrime32
	for i, w := range words {
		if i > 0 {
			h = (h ^ ' ') * fnvPrime32
		}
		if hasDigitByte(w) {
			h = (h ^ '#') * fnvPrime32
			continue
		}
		for j := 0; j < len(w); j++ {
			h = (h ^ uint32(w[j])) * fnvPrime32
		}
	}
	return h
}

// lexicalBucket takes the top bits of the hash times a Fibonacci constant:
// FNV's low bits alone mix the last byte poorly.
func lexicalBucket(h uint32, bits int) uint32 {
	return (h * 0x9E3779B1) >> (32 - bits)
}

func hasDigitByte(w string) bool {
	for i := 0; i < len(w); i++ {
		if isDigitByte(w[i]) {
			return true
		}
	}
	return false
}

// LexicalOptions say how the lexical model is fitted (see TrainOptions).
type LexicalOptions struct {
	// Bits: 2^Bits buckets; 0 means the default, below 0 no lexical model.
	Bits int
	// Kinds of feature hashed; nil means DefaultLexicalKinds.
	Kinds []string
	// L2 shrinks each weight a feature touches, per update; 0 means the
	// default.
	L2 float64
	// Epochs over the sentences in data order; 0 means the default.
	Epochs int
	// Rate is AdaGrad's learning rate; 0 means the default.
	Rate float64
	// Folds: the lexical feature of each training sentence comes from a
	// model fitted on the other folds of articles, so that the sentence
	// model weighs it as it will be on articles the lexical model has not
	// seen; 0 means 5.
	Folds int
}

// Defaults of LexicalOptions, chosen on held-out training articles and
// dev (see BENCHMARKS.md): openers and endings added nothing to the bags
// of syllables and pairs; 2^14 buckets or 3–5 epochs did as well on
// held-out articles but not on dev.
const (
	defaultLexicalBits   = 16
	defaultLexicalL2     = 1e-5
	defaultLexicalEpochs = 2
	defaultLexicalRate   = 0.03
	defaultLexicalFolds  = 5
)

func (o LexicalOptions) withDefaults() LexicalOptions {
	if o.Bits == 0 {
		o.Bits = defaultLexicalBits
	}
	if o.Kinds == nil {
		o.Kinds = DefaultLexicalKinds
	}
	if o.L2 <= 0 {
		o.L2 = defaultLexicalL2
	}
	if o.Epochs <= 0 {
		o.Epochs = defaultLexicalEpochs
	}
	if o.Rate <= 0 {
		o.Rate = defaultLexicalRate
	}
	if o.Folds <= 0 {
		o.Folds = defaultLexicalFolds
	}
	return o
}

// lexicalRow is one training sentence's hashed features (see
// lexicalFeatures) and label.
type lexicalRow struct {
	ids   []uint32
	fixed int
	bag   float64
	y     float64
}

// fitLexical fits a logistic regression over rows by AdaGrad, epochs
// passes in data order, with L2 shrinkage on the weights each update
// touches: deterministic, and fast enough to fit once per fold.
func fitLexical(rows []lexicalRow, bits int, kinds lexicalKindSet, opt LexicalOptions) *LexicalModel {
	w := make([]float64, 1<<bits)
	g2 := make([]float64, 1<<bits)
	bias, gb2 := 0.0, 0.0
	const eps = 1e-8
	for range opt.Epochs {
		for _, r := range rows {
			z := bias
			for j, id := range r.ids {
				z += w[id] * r.value(j)
			}
			d := 1/(1+math.Exp(-z)) - r.y
			gb2 += d * d
			bias -= opt.Rate * d / (math.Sqrt(gb2) + eps)
			for j, id := range r.ids {
				g := d*r.value(j) + opt.L2*w[id]
				g2[id] += g * g
				w[id] -= opt.Rate * g / (math.Sqrt(g2[id]) + eps)
			}
		}
	}
	return newLexicalModel(bits, kinds, bias, w)
}

func (r *lexicalRow) value(j int) float64 {
	if j < r.fixed {
		return 1
	}
	return r.bag
}

// score is the model's logit of a training row.
func (lx *LexicalModel) score(r lexicalRow) float64 {
	z, b := 0.0, 0.0
	for _, id := range r.ids[:r.fixed] {
		z += float64(lx.w[id])
	}
	for _, id := range r.ids[r.fixed:] {
		b += float64(lx.w[id])
	}
	return lx.Bias + z + r.bag*b
}

// crossFitLexical returns, for each article's rows, the logits of a model
// fitted on the articles of the other folds (article i is in fold i mod
// folds), and the model fitted on all of them.
func crossFitLexical(articles [][]lexicalRow, bits int, kinds lexicalKindSet, opt LexicalOptions) ([][]float64, *LexicalModel) {
	out := make([][]float64, len(articles))
	folds := min(opt.Folds, len(articles))
	for f := range folds {
		var train []lexicalRow
		for i, rows := range articles {
			if i%folds != f {
				train = append(train, rows...)
			}
		}
		lx := fitLexical(train, bits, kinds, opt)
		for i := f; i < len(articles); i += folds {
			out[i] = make([]float64, len(articles[i]))
			for j, r := range articles[i] {
				out[i][j] = lx.score(r)
			}
		}
	}
	var all []lexicalRow
	for _, rows := range articles {
		all = append(all, rows...)
	}
	return out, fitLexical(all, bits, kinds, opt)
}
