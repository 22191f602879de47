package bot

// Looks is how many times the dispatcher has read the outbox.
func (d *Dispatcher) Looks() int64 { return d.looks.Load() }

// MarkCommits is how many transactions wrote "sent" marks, and how many
// marks they held.
func (d *Dispatcher) MarkCommits() (commits, marks int64) {
	return d.marks.commits.Load(), d.marks.written.Load()
}

// MostInASecond is the most times (in order) within any one-second window,
// for the external tests of pacing.
var MostInASecond = mostInASecond
