// Package console is the terminal platform: lines typed on standard input
// are messages from a local admin user, and what the bot sends is printed
// as plain text, so anyone can try the bot without an account.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/newsbot-vn/newsbot/bot"
	"github.com/newsbot-vn/newsbot/storage"
)

// UserID is the console user's id; main makes "console:local" an admin.
const UserID = "local"

// Adapter reads from in and writes to out.
type Adapter struct {
	in   io.Reader
	lang string

	mu     sync.Mutex // one message printed at a time
	out    io.Writer
	nextID int
}

// New returns a console adapter. lang is the user's language ("vi" or "en").
func New(in io.Reader, out io.Writer, lang string) *Adapter {
	return &Adapter{in: in, out: out, lang: lang}
}

// Name is "console".
func (a *Adapter) Name() string { return "console" }

// Buttons is false: a terminal cannot press buttons, so replies say which
// command does the same.
func (a *Adapter) Buttons() bool { return false }

// Run hands each line of input to handle. It returns nil at the end of the
// input or when ctx is done.
func (a *Adapter) Run(ctx context.Context, handle func(context.Context, bot.Update)) error {
	a.mu.Lock()
	_, err := io.WriteString(a.out, banner[a.lang == "en"])
	a.mu.Unlock()
	if err != nil {
		return fmt.Errorf("console: write: %w", err)
	}
	lines := make(chan string)
	errc := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(a.in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		errc <- sc.Err()
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if err != nil {
				return fmt.Errorf("console: read input: %w", err)
			}
			return nil
		case line := <-lines:
			if strings.TrimSpace(line) == "" {
				continue
			}
			// No ID: the console has nothing that replays a line, so its
			// updates skip the inbox (see bot.Update.ID).
			handle(ctx, bot.Update{
				Chat:     storage.Chat{ChatRef: storage.ChatRef{Platform: "console", ID: UserID}, Type: "private", Title: "console", Lang: a.lang, Active: true},
				UserID:   UserID,
				UserName: "console",
				Lang:     a.lang,
				Text:     line,
				Received: time.Now(),
			})
		}
	}
}

// banner is printed when the session starts: what to type.
var banner = map[bool]string{
	false: "newsbot — trò chuyện với bot ngay trong cửa sổ này (bạn là quản trị viên).\n" +
		"Gõ một lệnh rồi Enter: /help xem mọi lệnh, /sections các chuyên mục, /latest tin mới nhất, /feeds các nguồn tin.\n" +
		"Ctrl+D (hoặc Ctrl+C) để thoát. Nhật ký của bot ở luồng lỗi chuẩn (stderr).\n────────\n",
	true: "newsbot — talk to the bot in this window (you are an administrator).\n" +
		"Type a command and press Enter: /help for every command, /sections for the sections, /latest for the newest articles, /feeds for the feeds.\n" +
		"Ctrl+D (or Ctrl+C) to quit. The bot's log goes to standard error.\n────────\n",
}

// Send prints the message as plain text, framed so that one message is
// easy to tell from the next.
func (a *Adapter) Send(ctx context.Context, msg bot.Message) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.nextID++
	var b strings.Builder
	if msg.PhotoURL != "" {
		b.WriteString("[ảnh] " + msg.PhotoURL + "\n")
	}
	b.WriteString(strings.TrimSpace(bot.PlainText(msg.HTML)))
	b.WriteString("\n────────\n")
	if _, err := io.WriteString(a.out, b.String()); err != nil {
		return "", fmt.Errorf("console: write: %w", err)
	}
	return strconv.Itoa(a.nextID), nil
}

// AnswerCallback does nothing: the console has no buttons.
func (a *Adapter) AnswerCallback(ctx context.Context, id, text string) error { return nil }
