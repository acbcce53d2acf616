package event

import "hash/fnv"

// DefaultTopic is the default RocketMQ topic of change events.
const DefaultTopic = "ferry_changes"

// ShardingKey is the string hashed to choose a row's queue: database + "." + table + "\x00" + rowKey.
// It is also set as the message's sharding key.
func ShardingKey(database, table, rowKey string) string {
	return database + "." + table + "\x00" + rowKey
}

// QueueFor returns the queue index (0 <= q < queueCount) for a row: fnv32a(ShardingKey) % queueCount.
// Every change of one row lands on one queue, so the queue keeps that row's binlog order.
// queueCount <= 0 returns 0.
func QueueFor(database, table, rowKey string, queueCount int) int {
	if queueCount <= 0 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(ShardingKey(database, table, rowKey)))
	return int(h.Sum32() % uint32(queueCount))
}

// MessageKeys returns the RocketMQ "keys" property of m: table + RowKey of the first row
// (the table alone for DDL).
func MessageKeys(m *Message) string {
	return m.Table + m.RowKey(0)
}
