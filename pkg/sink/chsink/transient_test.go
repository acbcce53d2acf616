package chsink

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
)

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"too many parts", &clickhouse.Exception{Code: 252}, true},
		{"memory limit", fmt.Errorf("insert: %w", &clickhouse.Exception{Code: 241}), true},
		{"timeout", &clickhouse.Exception{Code: 159}, true},
		{"pool exhausted", fmt.Errorf("prepare: %w", clickhouse.ErrAcquireConnTimeout), true},
		{"unknown table", &clickhouse.Exception{Code: 60}, false},
		{"type mismatch", &clickhouse.Exception{Code: 53}, false},
		{"other", errors.New("boom"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (&Sink{}).Transient(tc.err); got != tc.want {
				t.Fatalf("Transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
