package chsink

import (
	"errors"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

var _ sink.TransientClassifier = (*Sink)(nil)

// transientCodes are ClickHouse exception codes that clear by themselves: the server is busy,
// slow or short of memory, or a table has more active parts than it accepts until merges
// catch up.
var transientCodes = map[int32]string{
	3:   "UNEXPECTED_END_OF_FILE",
	159: "TIMEOUT_EXCEEDED",
	202: "TOO_MANY_SIMULTANEOUS_QUERIES",
	209: "SOCKET_TIMEOUT",
	210: "NETWORK_ERROR",
	241: "MEMORY_LIMIT_EXCEEDED",
	252: "TOO_MANY_PARTS",
}

// Transient reports whether err is a passing condition of the ClickHouse server or of the
// driver's connection pool.
func (s *Sink) Transient(err error) bool {
	if errors.Is(err, clickhouse.ErrAcquireConnTimeout) {
		return true
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		_, ok := transientCodes[ex.Code]
		return ok
	}
	return false
}
