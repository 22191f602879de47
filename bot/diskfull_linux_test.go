package bot

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"

	"github.com/newsbot-vn/newsbot/storage"
)

// diskFullEnv marks the child process of TestReadCommandsAnswerWhenDiskFails.
const diskFullEnv = "NEWSBOT_TEST_DISK_FULL"

// When the database cannot be written at all, recording the chat fails but
// the commands that only read still answer, and a command that writes
// apologises. The failure is real: a child process runs with a file size
// limit of zero (RLIMIT_FSIZE), so every write SQLite makes to its files
// fails with EFBIG, as on a full disk.
func TestReadCommandsAnswerWhenDiskFails(t *testing.T) {
	if os.Getenv(diskFullEnv) == "1" {
		diskFullScenario(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReadCommandsAnswerWhenDiskFails$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), diskFullEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "disk-full scenario done") {
		t.Fatalf("the child did not run the scenario:\n%s", out)
	}
}

func diskFullScenario(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.say(t, "2", "/subscribe chinh-tri") // written while the disk still takes writes

	signal.Ignore(syscall.SIGXFSZ) // a write past the limit then fails with EFBIG instead of killing
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 0, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.TouchChat(ctx, storage.Chat{ChatRef: storage.ChatRef{Platform: "test", ID: "chat9"}, Type: "private"}); err == nil {
		t.Fatal("TouchChat succeeded: the database can still be written")
	}
	for _, tc := range []struct{ user, text, want string }{
		{"9", "/help", "Các lệnh"},
		{"9", "/latest", "Chưa có bài"},
		{"9", "/search lào cai", "Không tìm thấy"},
		{"2", "/mysubs", "Chính trị"},
		{"1", "/feeds", "baolaocai.vn"},
		{"1", "/stats", "Tình trạng bot"},
		{"9", "/subscribe kinh-te", "Đã có lỗi"}, // writes: fails, and says so
	} {
		if got := e.say(t, tc.user, tc.text); !strings.Contains(got, tc.want) {
			t.Errorf("%s: reply %q lacks %q", tc.text, got, tc.want)
		}
	}
	t.Log("disk-full scenario done")
}
