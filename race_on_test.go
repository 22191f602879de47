//go:build race

package main

// raceDetector is true under -race, whose shadow memory multiplies a
// process's resident memory (5–10× by Go's documentation): memory bounds
// are only asserted without it.
const raceDetector = true
