package storage

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkMarkSentBatch writes the "sent" marks of 1 000 deliveries in
// transactions of 1, 4 and 30 marks: what one mark costs alone and in a
// group commit.
func BenchmarkMarkSentBatch(b *testing.B) {
	for _, per := range []int{1, 4, 30} {
		b.Run(fmt.Sprintf("per-commit=%d", per), func(b *testing.B) {
			var marks int
			for range b.N {
				b.StopTimer()
				s, _, ids := outboxOf(b, 1000)
				b.StartTimer()
				for i := 0; i < len(ids); i += per {
					var batch []SentMark
					for _, id := range ids[i:min(i+per, len(ids))] {
						batch = append(batch, SentMark{IDs: []int64{id}, At: time.Now(), MessageID: fmt.Sprint(id)})
					}
					if err := s.MarkSentBatch(context.Background(), batch); err != nil {
						b.Fatal(err)
					}
				}
				marks += len(ids)
				b.StopTimer()
				s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(marks), "µs/mark")
		})
	}
}
