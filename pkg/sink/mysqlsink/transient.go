package mysqlsink

import (
	"errors"

	"github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

var _ sink.TransientClassifier = (*Sink)(nil)

// transientCodes are MySQL/MariaDB server errors that clear by themselves.
var transientCodes = map[uint16]string{
	1040: "ER_CON_COUNT_ERROR (too many connections)",
	1053: "ER_SERVER_SHUTDOWN",
	1205: "ER_LOCK_WAIT_TIMEOUT",
	1213: "ER_LOCK_DEADLOCK",
	1927: "ER_CONNECTION_KILLED",
}

// Transient reports whether err is a passing condition of the MySQL copy server or of the
// driver's connection.
func (s *Sink) Transient(err error) bool {
	if errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		_, ok := transientCodes[me.Number]
		return ok
	}
	return false
}
