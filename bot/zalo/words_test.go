package zalo

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestCommandFromWords(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"subscribe with diacritics", "đăng ký thoi-su", "/subscribe thoi-su"},
		{"subscribe without diacritics", "dang ky thoi-su", "/subscribe thoi-su"},
		{"subscribe in capitals", "ĐĂNG KÝ Thoi-Su", "/subscribe Thoi-Su"},
		{"subscribe with kí", "Đăng kí 2", "/subscribe 2"},
		{"subscribe with a colon", "đăng ký: 2 3", "/subscribe 2 3"},
		{"subscribe alone", "Đăng ký", "/subscribe"},
		{"subscribe, section name kept as typed", "đăng ký Thời sự", "/subscribe Thời sự"},
		{"unsubscribe short", "hủy thoi-su", "/unsubscribe thoi-su"},
		{"unsubscribe with the other tone placement", "huỷ 2", "/unsubscribe 2"},
		{"unsubscribe without diacritics", "huy kinh-doanh", "/unsubscribe kinh-doanh"},
		{"unsubscribe long", "hủy đăng ký thoi-su", "/unsubscribe thoi-su"},
		{"unsubscribe long without diacritics", "Huy dang ky thoi-su", "/unsubscribe thoi-su"},
		{"search", "tìm giá xăng", "/search giá xăng"},
		{"search without diacritics", "tim gia xang", "/search gia xang"},
		{"search with tìm kiếm", "Tìm kiếm bão Yagi", "/search bão Yagi"},
		{"search keeps lines", "tìm lũ\nquét", "/search lũ\nquét"},
		{"latest", "tin mới", "/latest"},
		{"latest without diacritics, upper case", "TIN MOI", "/latest"},
		{"latest with punctuation", "Tin mới!", "/latest"},
		{"latest nhất", "tin mới nhất", "/latest"},
		{"help", "trợ giúp", "/help"},
		{"help without diacritics", "tro giup?", "/help"},
		{"help, hướng dẫn", "Hướng dẫn", "/help"},
		{"more", "xem tiếp", "/more"},
		{"more without diacritics", "  xem tiep  ", "/more"},
		{"decomposed input", norm.NFD.String("đăng ký thoi-su"), "/subscribe thoi-su"},
		{"a command stays", "/subscribe thoi-su", "/subscribe thoi-su"},
		{"a command with words stays", "/search tin mới", "/search tin mới"},
		{"a sentence starting with tin mới stays", "tin mới hôm nay có gì", "tin mới hôm nay có gì"},
		{"other text stays", "Xin chào", "Xin chào"},
		{"a word that only starts like one stays", "timeline", "timeline"},
		{"dang alone stays", "đang", "đang"},
		{"empty stays", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CommandFromWords(tc.in); got != tc.want {
				t.Errorf("CommandFromWords(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
