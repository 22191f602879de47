package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/newsbot-vn/newsbot/storage"
)

// askStats runs the /stats handler itself for an admin in lg, as Handle
// does once the chat is recorded (recording it is a write, which another
// part of the bot lets fail without refusing the command).
func askStats(t *testing.T, e *env, lg string) string {
	t.Helper()
	before := len(e.p.messages())
	r := &request{Update: Update{Chat: storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat1"}, Type: "private"}, UserID: "1"},
		p: e.p, lang: lg, cmd: "stats", isAdmin: true}
	if err := e.bot.stats(context.Background(), r); err != nil {
		t.Fatalf("/stats: %v", err)
	}
	msgs := e.p.messages()
	if len(msgs) != before+1 {
		t.Fatalf("/stats: %d replies, want 1", len(msgs)-before)
	}
	return msgs[len(msgs)-1].HTML
}

func TestStatsSaysTheDatabaseCannotBeWritten(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if got := e.say(t, "1", "/stats"); strings.Contains(got, "⚠️") {
		t.Fatalf("/stats warns while all is well:\n%s", got)
	}
	if err := e.store.RefuseWrites(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := e.store.TouchChat(ctx, storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat9"}}); err == nil {
		t.Fatal("a write went through while writes are refused")
	}
	_, since := e.store.WriteHealth()
	at := since.In(VietnamTime()).Format("15:04")

	vi := askStats(t, e, "vi")
	for _, want := range []string{"Tình trạng bot", "⚠️ Không ghi được cơ sở dữ liệu từ " + at + ": attempt to write a readonly database", "Nguồn tin: 1", "Hàng đợi:"} {
		if !strings.Contains(vi, want) {
			t.Errorf("/stats lacks %q:\n%s", want, vi)
		}
	}
	en := askStats(t, e, "en")
	if want := "⚠️ Cannot write the database since " + at + ": attempt to write a readonly database"; !strings.Contains(en, want) {
		t.Errorf("/stats in English lacks %q:\n%s", want, en)
	}

	if err := e.store.RefuseWrites(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got := e.say(t, "1", "/stats"); strings.Contains(got, "⚠️") || !strings.Contains(got, "Nguồn tin: 1") {
		t.Errorf("/stats once writes work again:\n%s", got)
	}
}

func TestStatsWarnsEvenWhenItCannotCount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.store.RefuseWrites(ctx, true); err != nil {
		t.Fatal(err)
	}
	e.store.TouchChat(ctx, storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat9"}})
	// Now reads fail too; the warning is still the answer.
	e.store.Close()
	got := askStats(t, e, "vi")
	if !strings.Contains(got, "Tình trạng bot") || !strings.Contains(got, "⚠️ Không ghi được cơ sở dữ liệu") {
		t.Errorf("/stats with nothing readable:\n%s", got)
	}
}
