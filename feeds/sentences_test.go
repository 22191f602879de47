package feeds

import (
	"reflect"
	"testing"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "Hà Nội mưa to. Đường ngập nặng! Bao giờ hết? Chưa rõ.", []string{"Hà Nội mưa to.", "Đường ngập nặng!", "Bao giờ hết?", "Chưa rõ."}},
		{"empty", " \n ", nil},
		{"no end punctuation", "Giá vàng hôm nay", []string{"Giá vàng hôm nay"}},
		{"spaces collapsed", "  Một  câu.\t Hai   câu. ", []string{"Một câu.", "Hai câu."}},
		{"a line break ends a sentence", "Tiêu đề không chấm\nNội dung. Tiếp theo.", []string{"Tiêu đề không chấm", "Nội dung.", "Tiếp theo."}},

		// Abbreviations.
		{"TP.", "Tại TP. Hồ Chí Minh, mưa to. Hết.", []string{"Tại TP. Hồ Chí Minh, mưa to.", "Hết."}},
		{"TP.HCM inside", "Người dân TP.HCM đổ ra đường. Hết.", []string{"Người dân TP.HCM đổ ra đường.", "Hết."}},
		{"TP.HCM ends a sentence", "Anh về TP.HCM. Sau đó anh đi làm.", []string{"Anh về TP.HCM.", "Sau đó anh đi làm."}},
		{"Q. with a number", "Nhà ở Q. 1 bị cháy. Hết.", []string{"Nhà ở Q. 1 bị cháy.", "Hết."}},
		{"Q. with a name", "Trụ sở ở Q. Tân Bình. Hết.", []string{"Trụ sở ở Q. Tân Bình.", "Hết."}},
		{"P.", "Vụ việc ở P. Bến Nghé, Q. 1. Hết.", []string{"Vụ việc ở P. Bến Nghé, Q. 1.", "Hết."}},
		{"X.", "Người dân X. Tân Lập phản ánh. Hết.", []string{"Người dân X. Tân Lập phản ánh.", "Hết."}},
		{"GS.", "Theo GS. Nguyễn Văn Tuấn, điều đó đúng. Hết.", []string{"Theo GS. Nguyễn Văn Tuấn, điều đó đúng.", "Hết."}},
		{"PGS.TS.", "PGS.TS. Trần Văn A phát biểu. Hết.", []string{"PGS.TS. Trần Văn A phát biểu.", "Hết."}},
		{"ThS.", "Theo ThS. Lê Thị B, cần nghỉ ngơi. Hết.", []string{"Theo ThS. Lê Thị B, cần nghỉ ngơi.", "Hết."}},
		{"TS.", "TS. Phạm Văn C cho biết thêm. Hết.", []string{"TS. Phạm Văn C cho biết thêm.", "Hết."}},
		{"BS.", "BS. Nguyễn Thị D khuyến cáo. Hết.", []string{"BS. Nguyễn Thị D khuyến cáo.", "Hết."}},
		{"Th.S", "Th.S Nguyễn Văn E và Th.S. Lê F dự họp. Hết.", []string{"Th.S Nguyễn Văn E và Th.S. Lê F dự họp.", "Hết."}},
		{"đ/c", "Đ/c Dương Đức Huy chủ trì, đ/c Lê G dự. Hết.", []string{"Đ/c Dương Đức Huy chủ trì, đ/c Lê G dự.", "Hết."}},
		{"Nxb.", "Sách do Nxb. Trẻ phát hành. Hết.", []string{"Sách do Nxb. Trẻ phát hành.", "Hết."}},
		{"a name's initial ends a sentence", "Cơ quan điều tra đã bắt Nguyễn Văn N. Sau đó, N. khai nhận.", []string{"Cơ quan điều tra đã bắt Nguyễn Văn N.", "Sau đó, N. khai nhận."}},
		{"anh P. ends a sentence", "Tài sản của anh P. Sau đó nhóm bỏ trốn.", []string{"Tài sản của anh P.", "Sau đó nhóm bỏ trốn."}},
		{"initials before a bracket", "Chị T.B. (35 tuổi, ngụ Q. Bình Thạnh) cho biết đã mất tiền. Hết.", []string{"Chị T.B. (35 tuổi, ngụ Q. Bình Thạnh) cho biết đã mất tiền.", "Hết."}},
		{"chị T.B. goes on", "Theo lời chị T.B. Hải, nhóm lừa đảo gọi điện nhiều lần. Hết.", []string{"Theo lời chị T.B. Hải, nhóm lừa đảo gọi điện nhiều lần.", "Hết."}},
		{"one initial before a bracket", "Anh Nguyễn Văn N. (SN 1990) bị bắt. Hết.", []string{"Anh Nguyễn Văn N. (SN 1990) bị bắt.", "Hết."}},
		{"(Q. after a name", "Cháy nhà ở phường Bến Nghé (Q. Bình Thạnh) lúc sáng. Hết.", []string{"Cháy nhà ở phường Bến Nghé (Q. Bình Thạnh) lúc sáng.", "Hết."}},
		{"a bracket that never closes", "Ông A (SN 1990. Ông B bị bắt.", []string{"Ông A (SN 1990.", "Ông B bị bắt."}},
		{"a run of initials", "Tác giả J. K. Rowling đến. Hết.", []string{"Tác giả J. K. Rowling đến.", "Hết."}},
		{"a heading number", "Điều 1. Phạm vi điều chỉnh. Điều 2. Đối tượng.", []string{"Điều 1. Phạm vi điều chỉnh.", "Điều 2. Đối tượng."}},

		// Numbers and dates.
		{"thousands", "Hà Nội có 1.000 ca. Hết.", []string{"Hà Nội có 1.000 ca.", "Hết."}},
		{"6.000 tỷ", "Dự án 6.000 tỷ đồng khởi công. Hết.", []string{"Dự án 6.000 tỷ đồng khởi công.", "Hết."}},
		{"decimal comma", "Giá tăng 1,5 triệu đồng. Hết.", []string{"Giá tăng 1,5 triệu đồng.", "Hết."}},
		{"day/month", "Sáng 5/7, hội nghị khai mạc. Hết.", []string{"Sáng 5/7, hội nghị khai mạc.", "Hết."}},
		{"full date", "Nghị quyết ngày 1/12/2021 có hiệu lực. Hết.", []string{"Nghị quyết ngày 1/12/2021 có hiệu lực.", "Hết."}},
		{"day-month", "Ngày 22-8, trời nắng. Hết.", []string{"Ngày 22-8, trời nắng.", "Hết."}},
		{"a number ends a sentence", "Số ca tăng lên 1.400. 20 người nặng.", []string{"Số ca tăng lên 1.400.", "20 người nặng."}},

		// Ellipses and quotes.
		{"ellipsis before lower case", "Ông Kim... là người hùng. Hết.", []string{"Ông Kim... là người hùng.", "Hết."}},
		{"ellipsis ends a sentence", "Còn nhiều hạn chế... Định hướng tới đây là đổi mới.", []string{"Còn nhiều hạn chế...", "Định hướng tới đây là đổi mới."}},
		{"one-character ellipsis", "Chờ mãi… Rồi xe đến.", []string{"Chờ mãi…", "Rồi xe đến."}},
		{"curly quoted speech kept whole", "Ông nói: “Chúng tôi sẽ làm. Không có gì khó.” Sau đó ông đi.", []string{"Ông nói: “Chúng tôi sẽ làm. Không có gì khó.”", "Sau đó ông đi."}},
		{"straight quoted speech kept whole", `Bà nói: "Tôi đi. Anh ở lại." Rồi bà đi.`, []string{`Bà nói: "Tôi đi. Anh ở lại."`, "Rồi bà đi."}},
		{"quote inside a sentence", `“Tôi đi”, ông nói. Hết.`, []string{`“Tôi đi”, ông nói.`, "Hết."}},
		{"an unclosed quote does not swallow the text", "Ông nói: “Tôi đi. Anh ở lại. Hết.", []string{"Ông nói: “Tôi đi.", "Anh ở lại.", "Hết."}},
		{"a sentence can start with a quote or a digit", "Năm nay tăng. 2026 sẽ khác. “Chúng tôi” nói thế.", []string{"Năm nay tăng.", "2026 sẽ khác.", "“Chúng tôi” nói thế."}},
		{"brackets", "Ông A (SN 1990). Ông B (SN 1992) cũng bị bắt.", []string{"Ông A (SN 1990).", "Ông B (SN 1992) cũng bị bắt."}},
		{"lower case after a dot is not a sentence start", "Trang web abc.vn. đã đóng cửa.", []string{"Trang web abc.vn. đã đóng cửa."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SplitSentences(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitSentences(%q) =\n%q\nwant\n%q", tt.in, got, tt.want)
			}
		})
	}
}
