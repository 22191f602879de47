package feeds

import "testing"

func TestCanonicalLink(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"spaces only", "  \n ", ""},
		{"already canonical", "https://vnexpress.net/a-1.html", "https://vnexpress.net/a-1.html"},
		{"trimmed", "\nhttp://vnexpress.net/a.html\n", "http://vnexpress.net/a.html"},
		{"scheme and host lower-cased, path kept", "HTTPS://VnExpress.NET/Tin-Tuc/A.html", "https://vnexpress.net/Tin-Tuc/A.html"},
		{"default http port", "http://example.vn:80/a", "http://example.vn/a"},
		{"default https port", "https://example.vn:443/a", "https://example.vn/a"},
		{"other port kept", "https://example.vn:8443/a", "https://example.vn:8443/a"},
		{"http port 443 kept", "http://example.vn:443/a", "http://example.vn:443/a"},
		{"fragment removed", "https://example.vn/a#comments", "https://example.vn/a"},
		{"empty path", "https://example.vn", "https://example.vn/"},
		{"empty path with query", "https://example.vn?id=3", "https://example.vn/?id=3"},
		{"BBC link", "https://www.bbc.com/vietnamese/articles/clyj7k74r8jo?at_medium=RSS&at_campaign=rss", "https://www.bbc.com/vietnamese/articles/clyj7k74r8jo"},
		{"Zalo share", "https://tuoitre.vn/a.htm?zarsrc=30&utm_source=zalo&gidzl=abc-XYZ", "https://tuoitre.vn/a.htm"},
		{"ad click ids", "https://example.vn/a?id=7&msclkid=1&_ga=2.1&yclid=3", "https://example.vn/a?id=7"},
		{"BBC guid", "https://www.bbc.com/vietnamese/articles/clyj7k74r8jo#0", "https://www.bbc.com/vietnamese/articles/clyj7k74r8jo"},
		{"utm removed, others kept in order", "https://example.vn/a?z=1&utm_source=rss&b=2&utm_medium=feed&a=3", "https://example.vn/a?z=1&b=2&a=3"},
		{"upper-case tracking keys", "https://example.vn/a?UTM_Source=x&FBCLID=y&id=7", "https://example.vn/a?id=7"},
		{"fbclid and gclid", "https://example.vn/a?fbclid=IwAR0&gclid=Cj0&p=2", "https://example.vn/a?p=2"},
		{"only tracking leaves no question mark", "https://example.vn/a?utm_source=x", "https://example.vn/a"},
		{"empty query", "https://example.vn/a?", "https://example.vn/a"},
		{"encoded values kept as written", "https://example.vn/s?q=th%E1%BB%9Di+s%E1%BB%B1&utm_campaign=x", "https://example.vn/s?q=th%E1%BB%9Di+s%E1%BB%B1"},
		{"parameter without value kept", "https://example.vn/a?amp&utm_term=x", "https://example.vn/a?amp"},
		{"trailing dot of host", "https://example.vn./a", "https://example.vn/a"},
		{"IPv6 host", "http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"},
		{"relative link unchanged", "/tin-tuc/a.html", "/tin-tuc/a.html"},
		{"not http", "mailto:toasoan@example.vn", "mailto:toasoan@example.vn"},
		{"unparsable", " http://exa mple.vn/%zz ", "http://exa mple.vn/%zz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanonicalLink(tt.in); got != tt.want {
				t.Errorf("CanonicalLink(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
