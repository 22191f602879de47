package feeds

import (
	"testing"

	"github.com/newsbot-vn/newsbot/storage/benchshort"
)

// TestBenchmarksShortForm runs this package's benchmarks once at their
// smallest sizes (what `.ci/bench` prints), so that `go test ./...` fails
// when one breaks (see benchshort).
func TestBenchmarksShortForm(t *testing.T) { benchshort.Run(t) }
