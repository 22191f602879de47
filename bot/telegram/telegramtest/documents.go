package telegramtest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Document is a file the bot sent with sendDocument.
type Document struct {
	ChatID    int64
	Name      string // the uploaded file's name
	Data      []byte
	Caption   string
	ParseMode string
	At        time.Time
}

// PushDocument stores data as a file and queues a message from userID in
// chatID carrying it as a document named name, with caption; it returns
// the update. The bot fetches the file with getFile and a GET of
// URL/file/bot<token>/<file_path>, as from Telegram.
func (s *Server) PushDocument(chatID, userID int64, name, mimeType string, data []byte, caption string, opts ...Option) tgbotapi.Update {
	o := s.pushOptions(chatID, userID, opts)
	s.mu.Lock()
	if s.files == nil {
		s.files = map[string][]byte{}
	}
	id := "file-" + name + "-" + time.Now().Format("150405.000000000")
	s.files[id] = append([]byte(nil), data...)
	s.mu.Unlock()
	m := &tgbotapi.Message{
		From:     o.user(userID),
		Date:     int(time.Now().Unix()),
		Chat:     o.chat(chatID),
		Caption:  caption,
		Document: &tgbotapi.Document{FileID: id, FileUniqueID: "u" + id, FileName: name, MimeType: mimeType, FileSize: len(data)},
	}
	return s.PushUpdate(tgbotapi.Update{Message: m})
}

// Documents returns the files the bot sent, oldest first.
func (s *Server) Documents() []Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Document(nil), s.documents...)
}

func (s *Server) getFile(p url.Values) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p.Get("file_id")
	data, ok := s.files[id]
	if !ok {
		return nil, badRequest("invalid file_id")
	}
	return tgbotapi.File{FileID: id, FileUniqueID: "u" + id, FileSize: len(data), FilePath: "documents/" + url.PathEscape(id)}, nil
}

// serveFile answers GET /file/bot<token>/documents/<file_id>.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/file/bot")
	_, path, ok := strings.Cut(rest, "/")
	id, found := strings.CutPrefix(path, "documents/")
	s.mu.Lock()
	data, known := s.files[id]
	s.mu.Unlock()
	if !ok || !found || !known || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	w.Write(data)
}

func (s *Server) sendDocument(r *http.Request, p url.Values) (any, *apiError) {
	chatID, aerr := chatParam(p)
	if aerr != nil {
		return nil, aerr
	}
	if r.MultipartForm == nil || len(r.MultipartForm.File["document"]) != 1 {
		return nil, badRequest("there is no document in the request")
	}
	fh := r.MultipartForm.File["document"][0]
	f, err := fh.Open()
	if err != nil {
		return nil, badRequest("unreadable document")
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, badRequest("unreadable document")
	}
	if p.Get("caption") != "" && p.Get("parse_mode") == "HTML" {
		if _, err := parseHTML(p.Get("caption")); err != nil {
			return nil, badRequest("can't parse entities: " + err.Error())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMessage++
	s.documents = append(s.documents, Document{ChatID: chatID, Name: fh.Filename, Data: data,
		Caption: p.Get("caption"), ParseMode: p.Get("parse_mode"), At: time.Now()})
	s.notify()
	me := s.me()
	return &tgbotapi.Message{MessageID: s.nextMessage, From: &me, Date: int(time.Now().Unix()), Chat: s.chat(chatID), Caption: p.Get("caption"),
		Document: &tgbotapi.Document{FileID: "sent-" + fh.Filename, FileName: fh.Filename, FileSize: len(data)}}, nil
}

// WaitDocuments waits until the bot has sent at least n files and returns
// them; it fails the test after timeout.
func (s *Server) WaitDocuments(t testing.TB, n int, timeout time.Duration) []Document {
	t.Helper()
	var last []Document
	if s.wait(func() bool { last = s.Documents(); return len(last) >= n }, timeout) {
		return last
	}
	t.Fatalf("telegramtest: %d documents sent within %s, want %d", len(last), timeout, n)
	return nil
}
