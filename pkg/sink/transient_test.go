package sink_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// classifyingSink is a Sink whose own classifier calls errServerBusy transient.
type classifyingSink struct{ sink.Sink }

var errServerBusy = errors.New("server busy")

func (classifyingSink) Transient(err error) bool { return errors.Is(err, errServerBusy) }

func TestIsTransient(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    sink.Sink
		err  error
		want bool
	}{
		{"nil", nil, nil, false},
		{"bad connection", nil, fmt.Errorf("insert: %w", driver.ErrBadConn), true},
		{"closed connection", nil, &net.OpError{Op: "read", Err: net.ErrClosed}, true},
		{"connection refused", nil, fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"unexpected EOF", nil, fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"sink's own timeout", nil, fmt.Errorf("insert: %w", context.DeadlineExceeded), true},
		{"stopping", nil, fmt.Errorf("insert: %w", context.Canceled), false},
		{"bad row", nil, fmt.Errorf("%w: value %q", sink.ErrBadRow, "x"), false},
		{"ddl halt", nil, fmt.Errorf("alter: %w", sink.ErrDDLHalt), false},
		{"plain error", nil, errors.New("syntax error"), false},
		{"classifier says yes", classifyingSink{}, fmt.Errorf("apply: %w", errServerBusy), true},
		{"classifier says no", classifyingSink{}, errors.New("access denied"), false},
		{"no classifier", nil, errServerBusy, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sink.IsTransient(tc.s, tc.err); got != tc.want {
				t.Fatalf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
