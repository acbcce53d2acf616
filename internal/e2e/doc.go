// Package e2e holds Ferry's end-to-end tests: the order-flow workload, the binlog-tailer and both
// replayers run as real subprocesses against the shared local stack, and verify proves that the
// MySQL and ClickHouse copies match the source afterwards. Faults that take servers down live in
// internal/faults, which runs on a private stack.
package e2e
