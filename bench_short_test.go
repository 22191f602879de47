package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBenchmarksShortForm runs every benchmark of the module once at its
// smallest size (what `.ci/bench` prints) with the go command that runs
// this test, so that `go test ./...`, which CI runs, fails when one breaks:
// the benchmark suite cannot rot unnoticed. About 15 s, most of it linking
// the test binaries again (minutes on a cold build cache). `go test -short` leaves it out.
func TestBenchmarksShortForm(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the benchmarks' short form is not run")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute) // a cold build cache compiles the pure-Go SQLite again
	defer cancel()
	// This package's directory is the module's root.
	cmd := exec.CommandContext(ctx, goCmd, "test", "-run", "^$", "-bench", ".", "-benchtime", "1x", "-count", "1", "./...")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NEWSBOT_BENCH_") { // the smallest sizes, whatever this run was given
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Fatalf("the benchmarks' short form failed: %v\n%s", err, strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
	if n := strings.Count(string(out), "\nBenchmark"); n < 15 {
		t.Errorf("the benchmarks' short form ran %d benchmarks, want every one (at least 15):\n%s", n, out)
	}
}
