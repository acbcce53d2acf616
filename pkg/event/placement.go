package event

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
	h := uint32(fnvOffset)
	h = fnvString(h, database)
	h = fnvString(h, ".")
	h = fnvString(h, table)
	h = fnvString(h, "\x00")
	h = fnvString(h, rowKey)
	return int(h % uint32(queueCount))
}

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

// fnvString continues an FNV-1a hash over s without allocating (same result as hash/fnv on the
// concatenation).
func fnvString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime
	}
	return h
}

// MessageKeys returns the RocketMQ "keys" property of m: table + RowKey of the first row
// (the table alone for DDL).
func MessageKeys(m *Message) string {
	return m.Table + m.RowKey(0)
}
