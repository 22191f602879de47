package feeds

// maxQuotationSentences is the most sentences one quotation is joined
// across: a longer one would not fit a summary anyway, and a stray quote
// mark should not glue a whole article together.
const maxQuotationSentences = 3

// quotationSpans returns, for each sentence, the index of the last sentence
// of the quotation it begins when that quotation runs on into the next
// sentences ("Cát Phượng đã lên tiếng: “Có điềm!" | "Cát Phượng và Kiều
// Minh Tuấn bên nhau đã được 10 năm”."), and its own index otherwise. A
// source that writes one sentence per line, or a splitter that does not
// see the quotation, breaks quoted speech into pieces that read as
// fragments: an opening quote that never closes, or a closing one that
// never opened. Quotes are matched over the whole article as quotedWords
// matches them on one line; a quotation that does not close within
// maxQuotationSentences sentences is not joined.
func quotationSpans(texts []string) []int {
	end := make([]int, len(texts))
	var words []string // the words that hold quote marks, and one end mark per sentence
	var ends []int     // index in words of each sentence's end mark
	for i, t := range texts {
		end[i] = i
		if holdsQuote(t) {
			for _, w := range fields(t) {
				if holdsQuote(w) {
					words = append(words, w)
				}
			}
		}
		words = append(words, ".")
		ends = append(ends, len(words)-1)
	}
	if len(words) == len(texts) {
		return end // no quote marks at all
	}
	inQuote := quotedWords(words)
	if inQuote == nil {
		return end // no quotation closes
	}
	for i := 0; i < len(texts); i++ {
		if !inQuote[ends[i]] {
			continue
		}
		j := i
		for j < len(texts) && inQuote[ends[j]] {
			j++
		}
		if j < len(texts) && j-i < maxQuotationSentences {
			end[i] = j
		}
		i = j
	}
	return end
}
