package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBenchmarksShortForm runs this package's benchmarks once at their
// smallest sizes (what `.ci/bench` prints), in a child of this test
// binary, so that `go test ./...`, which CI runs, fails when one breaks:
// the benchmark suite cannot rot unnoticed. `go test -short` leaves it out.
func TestBenchmarksShortForm(t *testing.T) {
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
