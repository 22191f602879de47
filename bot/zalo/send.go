package zalo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/newsbot-vn/newsbot/bot"
)

// textLimit is the most characters Zalo takes in a message or a caption.
// Characters are counted as UTF-16 units, which is never fewer than Zalo's
// count whichever way it counts them (emoji are two).
const textLimit = 2000

// Send delivers msg as plain text (Zalo's formatting is unverified, so no
// HTML reaches a Zalo user; links end up on their own line) and returns the
// id of the last message sent.
//
// With PhotoURL and a caption that fits, it sends a photo, and falls back to
// text when Zalo refuses the photo (a 4xx). A longer caption sends the text
// alone: the link is in it, and one message is easier to retry than two.
// Text longer than 2000 characters is split at paragraph, line, sentence or
// word boundaries, never inside a word or a link. Zalo cannot edit, so an
// EditID sends a new message; buttons are ignored.
func (a *Adapter) Send(ctx context.Context, msg bot.Message) (string, error) {
	if msg.Chat.ID == "" || (msg.Chat.Platform != "" && msg.Chat.Platform != a.Name()) {
		return "", &bot.PermanentError{Err: fmt.Errorf("zalo: not a zalo chat: %s", msg.Chat)}
	}
	text := strings.TrimSpace(norm.NFC.String(bot.PlainText(msg.HTML)))
	if msg.PhotoURL != "" && textLen(text) <= textLimit {
		m, err := a.client.SendPhoto(ctx, msg.Chat.ID, msg.PhotoURL, text)
		if err == nil {
			return m.MessageID, nil
		}
		err = a.mapError(err)
		var perm *bot.PermanentError
		if !errors.As(err, &perm) || text == "" {
			return "", err
		}
		a.log.Info("zalo: photo refused, sending text instead", slog.String("chat", msg.Chat.ID), slog.String("photo", msg.PhotoURL), slog.Any("err", err))
	}
	return a.sendText(ctx, msg.Chat.ID, text)
}

func (a *Adapter) sendText(ctx context.Context, chatID, text string) (string, error) {
	if text == "" {
		return "", &bot.PermanentError{Err: errors.New("zalo: empty message")}
	}
	var id string
	for _, chunk := range splitText(text, textLimit) {
		m, err := a.client.SendMessage(ctx, chatID, chunk)
		if err != nil {
			return "", a.mapError(err)
		}
		id = m.MessageID
	}
	return id, nil
}

// textLen counts s in UTF-16 units.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// splitText cuts s into pieces of at most limit UTF-16 units, preferring a
// paragraph break, then a line break, then the end of a sentence, then a
// space; only a single word longer than limit is cut inside.
func splitText(s string, limit int) []string {
	var out []string
	s = strings.TrimSpace(s)
	for textLen(s) > limit {
		cut := cutPoint(s, limit)
		if head := strings.TrimRightFunc(s[:cut], unicode.IsSpace); head != "" {
			out = append(out, head)
		}
		s = strings.TrimLeftFunc(s[cut:], unicode.IsSpace)
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// cutPoint returns the byte index to cut s at so that s[:i] fits in limit.
func cutPoint(s string, limit int) int {
	end, n := 0, 0
	for i, r := range s {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if n+w > limit {
			break
		}
		n += w
		end = i + utf8.RuneLen(r)
	}
	head := s[:end]
	// A boundary in the first third would leave a short piece and many
	// more after it; only a space is taken anywhere.
	floor := len(head) / 3
	if i := strings.LastIndex(head, "\n\n"); i > floor {
		return i
	}
	if i := strings.LastIndex(head, "\n"); i > floor {
		return i
	}
	if i := lastSentenceEnd(head); i > floor {
		return i
	}
	if r, _ := utf8.DecodeRuneInString(s[end:]); unicode.IsSpace(r) && end > 0 {
		return end // the limit falls between two words
	}
	if i := strings.LastIndexFunc(head, unicode.IsSpace); i > 0 {
		return i
	}
	if end == 0 { // limit smaller than one character
		_, size := utf8.DecodeRuneInString(s)
		return size
	}
	return end
}

// lastSentenceEnd returns the index of the last space that follows a
// sentence's end (". ", "! ", "? ", "… "), -1 when there is none. A period
// after an abbreviation (TP. HCM, PGS.TS. Lê) or a number ("1. ") does not
// end a sentence.
func lastSentenceEnd(s string) int {
	for i := len(s) - 1; i > 0; i-- {
		if s[i] != ' ' && s[i] != '\n' {
			continue
		}
		before := strings.TrimRight(s[:i], `"'”’)»`)
		last, _ := utf8.DecodeLastRuneInString(before)
		switch last {
		case '!', '?', '…':
			return i
		case '.':
			if !abbreviation(before) {
				return i
			}
		}
	}
	return -1
}

// abbreviations that end with a period inside a Vietnamese sentence.
var abbreviations = map[string]bool{
	"tp": true, "q": true, "p": true, "x": true, "h": true, "gs": true, "pgs": true,
	"ts": true, "ths": true, "bs": true, "ks": true, "nxb": true, "tt": true,
	"v.v": true, "st": true, "mr": true, "dr": true,
}

// abbreviation reports whether s ends with an abbreviation and its period.
func abbreviation(s string) bool {
	word := s[strings.LastIndexFunc(s, unicode.IsSpace)+1:]
	word = strings.TrimSuffix(word, ".")
	if word == "" {
		return true
	}
	if len(word) <= 2 && strings.IndexFunc(word, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		return true // "1." numbering a list
	}
	if i := strings.LastIndex(word, "."); i >= 0 { // "PGS.TS"
		word = word[i+1:]
	}
	return utf8.RuneCountInString(word) == 1 || abbreviations[strings.ToLower(word)]
}
