// Package faults is Ferry's fault-injection suite. Under the order-flow workload it repeatedly, at
// random points, SIGKILLs the tailer, a replayer, the broker and the source MariaDB, changes the
// topic's queue count, runs DDL mid-stream and resyncs the tailer from an older position; after
// the schedule, verify must report zero mismatches on both copies.
//
// Because it kills servers, the suite runs on a private stack (its own data folder and ports, see
// TestMain) so tests of other packages running at the same time are never disturbed.
//
// FERRY_FAULTS=short (the default, used by `go test ./...` and CI) injects about eight faults in a
// minute; FERRY_FAULTS=full (scripts/faults) runs for FERRY_FAULTS_DURATION (default 8m).
package faults
