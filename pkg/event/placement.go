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
	return NewTableHash(database, table).QueueFor(rowKey, queueCount)
}

// TableHash is the placement hash of a table's sharding keys up to the row key: the rows of one
// table hash only their keys from it (hashing the table's names again for every row was 7% of
// a tailer's CPU).
type TableHash uint32

// NewTableHash returns the placement hash state after database + "." + table + "\x00".
func NewTableHash(database, table string) TableHash {
	h := uint32(fnvOffset)
	h = fnvString(h, database)
	h = fnvString(h, ".")
	h = fnvString(h, table)
	return TableHash(fnvString(h, "\x00"))
}

// QueueFor returns QueueFor(database, table, rowKey, queueCount) for h's table.
func (h TableHash) QueueFor(rowKey string, queueCount int) int {
	if queueCount <= 0 {
		return 0
	}
	return int(fnvString(uint32(h), rowKey) % uint32(queueCount))
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
