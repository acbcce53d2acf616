package mysqlsink

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"deadlock", &mysql.MySQLError{Number: 1213}, true},
		{"lock wait timeout", fmt.Errorf("apply: %w", &mysql.MySQLError{Number: 1205}), true},
		{"too many connections", &mysql.MySQLError{Number: 1040}, true},
		{"invalid connection", fmt.Errorf("exec: %w", mysql.ErrInvalidConn), true},
		{"duplicate key", &mysql.MySQLError{Number: 1062}, false},
		{"access denied", &mysql.MySQLError{Number: 1142}, false},
		{"other", errors.New("boom"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (&Sink{}).Transient(tc.err); got != tc.want {
				t.Fatalf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
