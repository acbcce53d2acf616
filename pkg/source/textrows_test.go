package source

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestEachTextRow reads real result sets through the patched driver's NextText: each value as
// the server's text (NULL nil, an empty string empty), arguments interpolated, every row of a
// long result, the server's error in the middle of a result, the caller's error stopping the
// read with the connection still usable, and a cancelled context.
func TestEachTextRow(t *testing.T) {
	st := testenv.Get(t)
	db, err := Open(st.SourceDSN(st.NewSourceDatabase(t))) // seq_1_to_N needs a current database
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	errStop := errors.New("stop")
	tests := []struct {
		name    string
		q       string
		args    []any
		stopAt  int      // fn returns errStop at this row (1-based); 0: never
		want    []string // the first row's values, "NULL" for nil
		rows    int      // rows fn sees
		wantErr string   // substring of the error; "" for none
	}{
		{"values", "SELECT NULL, '', 'abc', 42, -1.5e0, CAST(7 AS UNSIGNED), x'00ff', ?, ?", []any{"it's", []byte{0, 'a'}}, 0,
			[]string{"NULL", "", "abc", "42", "-1.5", "7", "\x00\xff", "it's", "\x00a"}, 1, ""},
		{"long result", "SELECT seq FROM seq_1_to_20000", nil, 0, []string{"1"}, 20000, ""},
		{"server error mid-result", "SELECT IF(seq = 15000, (SELECT 1 UNION SELECT 2), seq) FROM seq_1_to_20000", nil, 0,
			[]string{"1"}, -1, "more than 1 row"},
		{"caller stops", "SELECT seq FROM seq_1_to_20000", nil, 10, []string{"1"}, 10, "stop"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var first []string
			n := 0
			err := EachTextRow(t.Context(), conn, tc.q, tc.args, func(vals [][]byte) error {
				n++
				if n == 1 {
					for _, v := range vals {
						if v == nil {
							first = append(first, "NULL")
						} else {
							first = append(first, string(v))
						}
					}
				}
				if n == tc.stopAt {
					return errStop
				}
				return nil
			})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if tc.rows >= 0 && n != tc.rows || tc.rows < 0 && n >= 15000 {
				t.Errorf("fn saw %d rows, want %d", n, tc.rows)
			}
			if strings.Join(first, "|") != strings.Join(tc.want, "|") {
				t.Errorf("first row %q, want %q", first, tc.want)
			}
			// The connection still serves queries after each case.
			var last string
			if err := EachTextRow(t.Context(), conn, "SELECT seq FROM seq_1_to_3", nil, func(v [][]byte) error {
				last = string(v[0])
				return nil
			}); err != nil || last != "3" {
				t.Fatalf("next query on the connection: last %q, err %v", last, err)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := EachTextRow(ctx, conn, "SELECT 1", nil, func([][]byte) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}
