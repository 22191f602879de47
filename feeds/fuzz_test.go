package feeds

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzClean checks what Clean promises whatever the input: valid NFC text,
// one trimmed non-empty paragraph a line, no odd spaces or control
// characters, and nothing that was not text in the input — every character
// out (markup characters such as '<' included) is one the HTML parser reads
// as text. The checked-in corpus is in testdata/fuzz/FuzzClean.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"", "Hà Nội mưa to.", "<p>(Dân trí) - Tin <b>chính</b>.</p><ul><li><a href=/1>Tin</a></li></ul>",
		`<figure><img src=a.jpg><figcaption>Ảnh</figcaption></figure><p>Nội dung.</p>`,
		"5 < 6 &amp; 7 > 3 &lt;b&gt;", "<div class=share>Zalo</div>Hotline: 0986575708\nThứ 7, 13/8/2022",
		"Vie\u0323\u0302t\u00a0Nam\u200b", "<!DOCTYPE html><html><body><article><p>Một.</p></article></body></html>",
		"\xff\xfe<p>\x00</p>", "<table><tr><td><img src=x></td></tr><tr><td>Chú thích</td></tr></table>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Clean(in)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if out == "" {
			return
		}
		for _, line := range strings.Split(out, "\n") {
			switch {
			case line == "" || strings.TrimSpace(line) != line:
				t.Fatalf("empty or untrimmed line %q in %q", line, out)
			case strings.Contains(line, "  "):
				t.Fatalf("double space in %q", line)
			case !norm.NFC.IsNormalString(line):
				t.Fatalf("not NFC: %q", line)
			}
			for _, r := range line {
				if r != ' ' && (unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff') {
					t.Fatalf("character %U left in %q", r, line)
				}
			}
		}
		// Nothing invented: the characters out are among those of the
		// input's text as the parser reads it, everything kept.
		have := runeCounts(plainText(in))
		for r, n := range runeCounts(out) {
			if have[r] < n {
				t.Fatalf("%q appears %d times in the output, %d in the input's text\nin:  %q\nout: %q", r, n, have[r], in, out)
			}
		}
	})
}

// runeCounts counts the non-space runes of s, decomposed.
func runeCounts(s string) map[rune]int {
	m := map[rune]int{}
	for _, r := range norm.NFD.String(s) {
		if !unicode.IsSpace(r) {
			m[r]++
		}
	}
	return m
}

// FuzzSplitSentences checks that splitting loses, adds and changes no word:
// the sentences' words, in order, are the input's words. Each sentence is
// trimmed, non-empty and on one line. The checked-in corpus is in
// testdata/fuzz/FuzzSplitSentences.
func FuzzSplitSentences(f *testing.F) {
	for _, s := range []string{
		"", "Tại TP. Hồ Chí Minh, PGS.TS. Nguyễn Văn A và ThS. Lê B. đến Q. 1. Sau đó họ về.",
		"Có 1.400 ca, tăng 1,5 lần. Ngày 5/7 và 22-8.", `Ông nói: “Tôi đi. Anh ở lại.” Rồi "đi. Về."`,
		"Còn nhiều hạn chế... Định hướng… tiếp.", "Một\nHai. \u2028Ba\u00a0bốn.", "J. K. Rowling. Điều 1. A", "“““. ”", "\xffA. B",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := SplitSentences(in)
		for _, s := range out {
			if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\n\r") || strings.Contains(s, "  ") || !utf8.ValidString(s) {
				t.Fatalf("bad sentence %q in %q", s, out)
			}
		}
		want := strings.Fields(strings.ToValidUTF8(in, "\uFFFD"))
		got := strings.Fields(strings.Join(out, " "))
		if len(want) == 0 && len(got) == 0 {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("words changed:\nin:  %q\nout: %q", want, got)
		}
	})
}
