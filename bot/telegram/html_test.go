package telegram

import (
	"strings"
	"testing"
)

func TestTextLen(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"plain", "Hà Nội", 6},
		{"tags", `<b>Hà</b> <a href="https://x.vn/?a=1&amp;b=2">Nội</a>`, 6},
		{"entities", "a &lt; b &amp;&amp; c &gt; d &quot;e&quot; &#39;f&#x27;", 22},
		{"unknown entity and bare ampersand stay", "&nbsp; & x", 10},
		{"emoji is two units", "📰 tin", 6},
		{"unclosed bracket counts", "a <b", 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := textLen(tc.in); got != tc.want {
				t.Errorf("textLen(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestSplitHTML(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"fits", "<b>a</b>\nb", 10, []string{"<b>a</b>\nb"}},
		{"at lines", "<b>aaaa</b>\nbbbb\ncccc", 9, []string{"<b>aaaa</b>\nbbbb", "cccc"}},
		{"not inside a tag pair", "aaaa\n<blockquote>bb\ncc</blockquote>\ndd", 8, []string{"aaaa", "<blockquote>bb\ncc</blockquote>\ndd"}},
		{"blank lines dropped at edges", "aaaa\n\n\nbbbb", 5, []string{"aaaa", "bbbb"}},
		{"too long line loses markup", "<b>aaa bbb &amp; ccc</b>", 8, []string{"aaa bbb", "&amp; ccc"}},
		{"too long word is cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := splitHTML(tc.in, tc.limit)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("splitHTML(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
			for _, c := range got {
				if textLen(c) > tc.limit {
					t.Errorf("piece %q is %d long", c, textLen(c))
				}
			}
		})
	}
}
