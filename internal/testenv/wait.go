package testenv

import (
	"testing"
	"time"
)

// WaitFor polls cond every 50 ms until it returns true, and fails the test naming what it
// waited for if that takes longer than d.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
