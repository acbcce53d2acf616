package sinktest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Row builds a row of table t from column name -> value pairs (missing columns are NULL).
func Row(t *sink.Table, op sink.Op, version uint64, kv map[string]string) sink.Row {
	vals := make([]*string, len(t.Columns))
	for i, c := range t.Columns {
		if v, ok := kv[c.Name]; ok {
			vals[i] = ptr(v)
		}
	}
	return sink.Row{Table: t, Op: op, Version: version, Values: vals}
}

// DDLStep is one step of a sink's DDL test: a statement of source database shop, the error it
// must fail with (nil: it must succeed) and the copy's columns after it as the test's columns
// function describes them ("" = not checked).
type DDLStep struct {
	Name    string
	DDL     sink.DDL
	WantErr error
	Want    string
}

// RunDDLSteps applies the steps in order with applyDDL, each as a subtest, at binlog position
// mysql-bin.000001:<version>. A step with WantErr must fail with it, naming the position and
// the command that skips its version; after a step with Want, columns must return Want.
func RunDDLSteps(t *testing.T, steps []DDLStep, applyDDL func(context.Context, *sink.DDL) error, columns func(t *testing.T) string) {
	for _, st := range steps {
		t.Run(st.Name, func(t *testing.T) {
			d := st.DDL
			d.Database, d.Position = "shop", fmt.Sprintf("mysql-bin.000001:%d", d.Version)
			err := applyDDL(context.Background(), &d)
			if st.WantErr == nil && err != nil {
				t.Fatalf("ApplyDDL: %v", err)
			}
			if st.WantErr != nil {
				if !errors.Is(err, st.WantErr) {
					t.Fatalf("ApplyDDL = %v, want %v", err, st.WantErr)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("replayer ddl skip --version %d", d.Version)) || !strings.Contains(err.Error(), d.Position) {
					t.Fatalf("halt error %q does not give the position and the skip command", err)
				}
			}
			if st.Want != "" {
				if got := columns(t); got != st.Want {
					t.Fatalf("copy columns = %s, want %s", got, st.Want)
				}
			}
		})
	}
}
