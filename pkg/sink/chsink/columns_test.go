package chsink

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"
	chcol "github.com/ClickHouse/clickhouse-go/v2/lib/column"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// converter turns one event value into the Go value clickhouse-go reads back from the wire
// data of a column buffer holding it (nil for SQL NULL); the unit tests check conversions
// through it.
type converter func(v *string) (any, error)

// converterFor returns the converter of a copy column: a one-value column buffer from
// columnFor, encoded as it is sent and read back.
func converterFor(chType, mysqlType string) (converter, error) {
	mk, err := columnFor(chType, sink.Column{Name: "c", MySQLType: mysqlType})
	if err != nil {
		return nil, err
	}
	return func(v *string) (any, error) {
		c := mk()
		if err := c.add(v); err != nil {
			return nil, err
		}
		_, rows, err := wire(chType, c)
		if err != nil {
			return nil, err
		}
		return rows[0], nil
	}, nil
}

// wire encodes a column buffer as the batch sends it (a native one as it is, the others
// through clickhouse-go's column of chType) and decodes it with clickhouse-go's column of
// chType; it returns the wire bytes and the rows read back (pointers dereferenced).
func wire(chType string, c column) ([]byte, []any, error) {
	var buf proto.Buffer
	n := 0
	if nc, ok := c.(clickhouse.NativeColumn); ok {
		nc.EncodeColumn(&buf)
		n = nc.Rows()
	} else {
		enc, err := chcol.Type(chType).Column("c", &chcol.ServerContext{})
		if err != nil {
			return nil, nil, err
		}
		if _, err := enc.Append(c.(driverColumn).data()); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", sink.ErrBadRow, err)
		}
		enc.Encode(&buf)
		n = enc.Rows()
	}
	dec, err := chcol.Type(chType).Column("c", &chcol.ServerContext{})
	if err != nil {
		return nil, nil, err
	}
	if err := dec.Decode(proto.NewReader(bytes.NewReader(buf.Buf)), n); err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", chType, err)
	}
	rows := make([]any, n)
	for i := range rows {
		e := reflect.ValueOf(dec.Row(i, false))
		if e.Kind() == reflect.Pointer {
			if e.IsNil() {
				continue
			}
			e = e.Elem()
		}
		if e.IsValid() {
			rows[i] = e.Interface()
		}
	}
	return buf.Buf, rows, nil
}

// FuzzFastUnix checks that whatever fastUnix accepts, time.ParseInLocation accepts with the
// same instant, so the fast path never changes a converted value.
func FuzzFastUnix(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "2024-02-29 23:59:59", "2024-02-29 23:59:59.5",
		"2024-12-31 23:59:59.123456789", "0001-01-01 00:00:00", "2024-13-01", "2024-01-01 24:00:00", "2024-01-01 00:00:00.",
		"1900-02-29", "2000-02-29 12:00:00", "0000-02-29", "0000-03-01 00:00:01", "9999-12-31 23:59:59.999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secs, ns, ok := fastUnix(s)
		if !ok {
			return
		}
		got := time.Unix(secs, int64(ns))
		layout := "2006-01-02 15:04:05.999999999"
		if len(s) == len("2006-01-02") {
			layout = "2006-01-02"
		}
		want, err := time.ParseInLocation(layout, s, time.UTC)
		if err != nil || !want.Equal(got) {
			t.Fatalf("fastUnix(%q) = %v; time.ParseInLocation = %v, %v", s, got, want, err)
		}
	})
}

// TestTextChecks checks decimal text against a column's precision the way clickhouse-go does
// when it appends (bad text and values overflowing the storage integer are bad rows), and the
// length of FixedString values, so that a bad value is a bad row naming its version instead of
// a failed block.
func TestTextChecks(t *testing.T) {
	for _, tc := range []struct {
		ch, in string
		ok     bool
	}{
		{"Decimal(12, 2)", "-0.01", true},
		{"Decimal(12, 2)", "9999999999.99", true},
		{"Decimal(12, 2)", "1e3", true},
		{"Decimal(12, 2)", "92233720368547758.07", true},  // fits Decimal64 after scaling
		{"Decimal(12, 2)", "92233720368547758.08", false}, // does not
		{"Decimal(12, 2)", "12.345", true},                // extra digits are truncated
		{"Decimal(9, 2)", "21474836.47", true},
		{"Decimal(9, 2)", "21474836.48", false},
		{"Decimal(38, 10)", "-1234567890123456789012345678.0123456789", true},
		{"Decimal(12, 2)", "", false},
		{"Decimal(12, 2)", "1.2.3", false},
		{"Decimal(12, 2)", "abc", false},
		{"Decimal(12, 2)", "-", false},
		{"Decimal(12, 2)", "1.", true}, // shopspring accepts it, as before
		{"FixedString(2)", "ab", true},
		{"Nullable(FixedString(2))", "abc", false},
	} {
		t.Run(tc.ch+"/"+tc.in, func(t *testing.T) {
			mk, err := columnFor(tc.ch, sink.Column{Name: "c", MySQLType: "varchar(10)"})
			if err != nil {
				t.Fatal(err)
			}
			err = mk().add(&tc.in)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, sink.ErrBadRow)) {
				t.Fatalf("check(%q) = %v, want ok=%v (or ErrBadRow)", tc.in, err, tc.ok)
			}
		})
	}
}
