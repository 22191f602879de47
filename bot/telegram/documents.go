package telegram

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/storage"
)

var _ bot.Documents = (*Adapter)(nil)

// FetchDocument downloads a file a person sent: getFile, then the file from
// APIURL + "/file/bot<token>/<file_path>" (tgbotapi's own link always
// points at api.telegram.org). A file larger than max bytes is an error.
func (a *Adapter) FetchDocument(ctx context.Context, id string, max int64) ([]byte, error) {
	f, err := a.call(ctx).GetFile(tgbotapi.FileConfig{FileID: id})
	if err != nil {
		return nil, a.mapError("getFile", err)
	}
	if f.FileSize > 0 && int64(f.FileSize) > max {
		return nil, fmt.Errorf("telegram: file %s is %d bytes, more than %d", id, f.FileSize, max)
	}
	if f.FilePath == "" {
		return nil, fmt.Errorf("telegram: getFile %s: no file_path (the file may be over 20 MB)", id)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.fileBase+a.token+"/"+f.FilePath, nil)
	if err != nil {
		return nil, fmt.Errorf("telegram: download file: %s", a.redact(err.Error()))
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, a.redactError("download file", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram: download file %s: %s", id, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, a.redactError("download file", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("telegram: file %s is more than %d bytes", id, max)
	}
	return data, nil
}

// SendDocument uploads data as a file named name, with an HTML caption.
func (a *Adapter) SendDocument(ctx context.Context, chat storage.ChatRef, name string, data []byte, caption string) error {
	chatID, err := strconv.ParseInt(chat.ID, 10, 64)
	if err != nil || (chat.Platform != "" && chat.Platform != a.Name()) {
		return &bot.PermanentError{Err: fmt.Errorf("telegram: not a telegram chat: %s", chat)}
	}
	cfg := tgbotapi.NewDocument(chatID, tgbotapi.FileBytes{Name: name, Bytes: data})
	cfg.Caption = caption
	cfg.ParseMode = tgbotapi.ModeHTML
	if _, err := a.call(ctx).Send(cfg); err != nil {
		return a.mapError("sendDocument", err)
	}
	return nil
}

// document is the bot.Document of a message, nil when it carries none.
func document(m *tgbotapi.Message) *bot.Document {
	if m.Document == nil {
		return nil
	}
	d := m.Document
	return &bot.Document{ID: d.FileID, Name: d.FileName, MIME: d.MimeType, Size: int64(d.FileSize)}
}
