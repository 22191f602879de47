package telegramtest

import (
	"net/url"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// AddChat makes a group or channel known to the fake, so that getChat finds
// it by id or by "@username", and sends to "@username" reach its id.
func (s *Server) AddChat(c tgbotapi.Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[c.ID] = c
	s.notify()
}

// lookupChat finds a chat by numeric id or "@username". The caller holds mu.
func (s *Server) lookupChat(ref string) (tgbotapi.Chat, bool) {
	if name, ok := strings.CutPrefix(ref, "@"); ok {
		for _, c := range s.chats {
			if strings.EqualFold(c.UserName, name) {
				return c, true
			}
		}
		return tgbotapi.Chat{}, false
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		return tgbotapi.Chat{}, false
	}
	c, ok := s.chats[id]
	return c, ok
}

func (s *Server) getChat(p url.Values) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.lookupChat(p.Get("chat_id"))
	if !ok {
		return nil, badRequest("chat not found")
	}
	return c, nil
}
