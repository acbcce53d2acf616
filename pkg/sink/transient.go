package sink

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"
)

// TransientClassifier is implemented by sinks that recognise their server's passing conditions
// (a deadlock, a lock wait timeout, too many parts) in the errors of their driver.
type TransientClassifier interface {
	// Transient reports whether err is a condition of the copy server that clears by itself.
	Transient(err error) bool
}

// IsTransient reports whether err, returned by s, is a passing failure of the copy or of the
// connection to it: the connection was refused, reset, closed or timed out, or s classifies the
// server's error as transient. The replayer retries such errors without limit (the copy being
// down for a while must not halt the pipeline); anything else - a rejected value, a schema
// mismatch, a statement the server refuses - is retried a few times and then halts.
func IsTransient(s Sink, err error) bool {
	if err == nil || errors.Is(err, ErrBadRow) || errors.Is(err, ErrDDLHalt) || errors.Is(err, context.Canceled) {
		return false
	}
	if connectionLost(err) {
		return true
	}
	c, ok := s.(TransientClassifier)
	return ok && c.Transient(err)
}

// connectionLost reports the driver-independent signs of a lost or slow connection.
func connectionLost(err error) bool {
	for _, target := range []error{driver.ErrBadConn, net.ErrClosed, io.EOF, io.ErrUnexpectedEOF,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE, syscall.ETIMEDOUT,
		context.DeadlineExceeded} {
		if errors.Is(err, target) {
			return true
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}
