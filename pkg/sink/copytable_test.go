package sink

import (
	"errors"
	"fmt"
	"testing"
)

// fakeRows serves (name, type) pairs as a catalog query would.
type fakeRows struct {
	rows [][2]string
	i    int
}

func (r *fakeRows) Next() bool { r.i++; return r.i <= len(r.rows) }
func (r *fakeRows) Err() error { return nil }
func (r *fakeRows) Scan(dest ...any) error {
	*dest[0].(*string), *dest[1].(*string) = r.rows[r.i-1][0], r.rows[r.i-1][1]
	return nil
}

func TestReadCopyColumns(t *testing.T) {
	tests := []struct {
		name    string
		rows    [][2]string
		want    string
		wantErr error
	}{
		{"copy table", [][2]string{{"id", "int"}, {"_version", "u64"}, {"note", "text"}, {"_deleted", "u8"}}, "[id note] map[id:int note:text]", nil},
		{"missing", nil, "", ErrNoCopyTable},
		{"no meta columns", [][2]string{{"id", "int"}}, "", ErrBadRow},
		{"one meta column", [][2]string{{"id", "int"}, {"_version", "u64"}}, "", ErrBadRow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols, types, err := ReadCopyColumns(&fakeRows{rows: tt.rows}, "db", "t")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := fmt.Sprint(cols, " ", types); err == nil && got != tt.want {
				t.Fatalf("columns = %s, want %s", got, tt.want)
			}
		})
	}
}
