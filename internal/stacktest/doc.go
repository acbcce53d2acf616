// Package stacktest holds the round-trip integration tests that prove each
// server of the local stack (scripts/stack) works with the client library
// Ferry uses for it: MariaDB with go-sql-driver/mysql, the source's row
// binlog with go-mysql's BinlogSyncer, RocketMQ with rocketmq-client-go/v2
// (hash-selected queues, orderly consumption), ClickHouse with
// clickhouse-go/v2 (batch insert, ReplacingMergeTree, FINAL), Prometheus
// scraping a target, and Redis with go-redis. It has no non-test code.
package stacktest
