// Package difftest is Ferry's differential test, independent of pkg/verify: each round generates
// a random schema (every MariaDB column type Ferry supports, several charsets and collations,
// NULLs and extremes, odd and composite keys) and a random workload of DML and DDL (inserts,
// updates including primary-key changes, deletes, big transactions, ADD/DROP/RENAME COLUMN,
// RENAME and TRUNCATE TABLE), runs it against the source while the real pipeline
// (binlog-tailer -> RocketMQ -> one replayer per copy) streams it and SIGKILLs the tailer and the
// replayers at random points, then dumps the source and both copies with their own drivers and
// compares them value by value. The only differences allowed are the documented ClickHouse
// degradations, each named in allowedDiffs with the doc line that documents it.
//
// FERRY_DIFF=short (the default, used by `go test ./...`) runs two rounds; FERRY_DIFF=full
// (scripts/faults) runs FERRY_DIFF_ROUNDS rounds (default 100), each with its own seed.
// FERRY_DIFF_SEED replays a round (the seed is logged at the start of every round).
package difftest
