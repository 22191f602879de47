// Package benchshort runs a package's benchmarks once at their smallest
// sizes from inside its tests, so that `go test ./...`, which CI runs,
// fails when a benchmark breaks: the benchmark suite cannot rot unnoticed.
//
// It has nothing of storage's: it lives under storage/ because every
// package with benchmarks (the root, bot, feeds, storage) already depends
// on storage, and the project's top level is fixed.
package benchshort

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Run re-runs the calling test binary with only its benchmarks, each once
// (-test.benchtime=1x), without the NEWSBOT_BENCH_ variables that choose
// larger sizes, and fails t if any benchmark or sub-benchmark fails or
// none runs. It re-runs the binary rather than `go test`, so nothing is
// compiled again. `go test -short` skips it.
func Run(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the benchmarks' short form is not run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "-test.bench=.", "-test.benchtime=1x", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NEWSBOT_BENCH_") { // the smallest sizes, whatever this run was given
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Fatalf("the benchmarks' short form failed: %v\n%s", err, strings.Join(lines[max(0, len(lines)-30):], "\n"))
	}
	if !strings.Contains(string(out), "Benchmark") {
		t.Fatalf("the benchmarks' short form ran no benchmark:\n%s", out)
	}
}
