package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Lock is a running bot's claim on its database: an exclusive flock on a
// file beside it (DB.lock) holding the owner's pid. The kernel drops the
// lock when the process dies, however it dies, so a SIGKILLed bot never
// leaves a stale claim. Maintenance commands (backup, OPML) do not take it:
// they may run beside a bot.
type Lock struct {
	f *os.File
}

// LockedError means another process holds the database's lock.
type LockedError struct {
	Path string // the database
	PID  int    // the holder's pid, 0 when unknown
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("another newsbot (pid %d) is using %s", e.PID, e.Path)
	}
	return fmt.Sprintf("another newsbot is using %s", e.Path)
}

// LockPath is the lock file of the database at path.
func LockPath(path string) string { return path + ".lock" }

// AcquireLock takes the database's lock without waiting; a *LockedError says
// who holds it.
func AcquireLock(path string) (*Lock, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("storage: create folder for database: %w", err)
		}
	}
	f, err := os.OpenFile(LockPath(path), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Path: path, PID: pid}
		}
		return nil, fmt.Errorf("storage: lock %s: %w", LockPath(path), err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

func readPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	return pid
}

// Release gives the lock up. The file stays: it is the sign that a database
// was here (see CheckMissing).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	if err != nil {
		return fmt.Errorf("storage: release lock: %w", err)
	}
	return nil
}

// ErrDatabaseMissing means the database file is gone while files that only
// exist beside a database (its WAL, its lock) remain: it was deleted or
// moved, and starting with an empty one would silently forget every
// subscriber.
var ErrDatabaseMissing = errors.New("storage: database file is missing")

// CheckMissing returns ErrDatabaseMissing (wrapped, naming what was found)
// when path does not exist but its -wal, -shm or .lock file does.
func CheckMissing(path string) error {
	if _, err := os.Stat(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	for _, side := range []string{path + "-wal", path + "-shm", LockPath(path)} {
		if _, err := os.Stat(side); err == nil {
			return fmt.Errorf("%w: %s does not exist but %s does; restore the database from a backup, or delete %s to start with an empty one",
				ErrDatabaseMissing, path, filepath.Base(side), strings.Join([]string{path + "-wal", path + "-shm", LockPath(path)}, ", "))
		}
	}
	return nil
}

// FileWatch notices that the database file was deleted or replaced under a
// running bot, which would otherwise go on writing into an unlinked file.
type FileWatch struct {
	path string
	info os.FileInfo
}

// WatchFile remembers the identity (device and inode) of the file at path.
func WatchFile(path string) (*FileWatch, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("storage: watch database file: %w", err)
	}
	return &FileWatch{path: path, info: info}, nil
}

// Check returns an error when the file at the path is gone or is another file.
func (w *FileWatch) Check() error {
	info, err := os.Stat(w.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("storage: database file %s was deleted while the bot was running", w.path)
	case err != nil:
		return fmt.Errorf("storage: check database file: %w", err)
	case !os.SameFile(info, w.info):
		return fmt.Errorf("storage: database file %s was replaced while the bot was running", w.path)
	}
	return nil
}
