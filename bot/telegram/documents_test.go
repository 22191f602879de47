package telegram

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/bot/telegram/telegramtest"
	"github.com/newsbot-vn/newsbot/storage"
)

// A document a person sends arrives as an update carrying it (its caption
// as the text), and its bytes come down through getFile and the file URL.
func TestDocumentReceivedAndFetched(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	r := run(t, a)
	data := []byte(`<?xml version="1.0"?><opml version="2.0"><body/></opml>`)
	tg.PushDocument(111, 111, "feeds.opml", "text/x-opml", data, "thoi-su")

	got := r.next(t)
	if got.Document == nil {
		t.Fatalf("update without its document: %+v", got)
	}
	if got.Document.Name != "feeds.opml" || got.Document.MIME != "text/x-opml" || got.Document.Size != int64(len(data)) || got.Text != "thoi-su" {
		t.Fatalf("document update: %+v %+v", got, *got.Document)
	}
	body, err := a.FetchDocument(context.Background(), got.Document.ID, 1<<20)
	if err != nil || string(body) != string(data) {
		t.Fatalf("FetchDocument: %q, %v", body, err)
	}
	if _, err := a.FetchDocument(context.Background(), got.Document.ID, 10); err == nil || !strings.Contains(err.Error(), "more than 10") {
		t.Fatalf("FetchDocument over the limit: %v", err)
	}
	_, err = a.FetchDocument(context.Background(), "no-such-file", 1<<20)
	var perm *bot.PermanentError
	if !errors.As(err, &perm) || strings.Contains(err.Error(), tg.Token) {
		t.Fatalf("FetchDocument of an unknown file: %v, want a refusal without the token", err)
	}
}

func TestSendDocument(t *testing.T) {
	tg := telegramtest.New(t)
	a, _ := newAdapter(t, tg)
	data := []byte("<opml>xin chào</opml>")
	chat := storage.ChatRef{Platform: "telegram", ID: "42"}
	if err := a.SendDocument(context.Background(), chat, "newsbot.opml", data, "Danh sách <b>nguồn tin</b>"); err != nil {
		t.Fatal(err)
	}
	docs := tg.Documents()
	if len(docs) != 1 {
		t.Fatalf("documents sent: %d", len(docs))
	}
	d := docs[0]
	if d.ChatID != 42 || d.Name != "newsbot.opml" || string(d.Data) != string(data) || d.ParseMode != "HTML" || d.Caption != "Danh sách <b>nguồn tin</b>" {
		t.Fatalf("document: %+v", d)
	}
	if err := a.SendDocument(context.Background(), storage.ChatRef{Platform: "zalo", ID: "x"}, "a.opml", data, ""); err == nil {
		t.Fatal("SendDocument to a zalo chat succeeded")
	}
}
