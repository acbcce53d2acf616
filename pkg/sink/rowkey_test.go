package sink

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func sp(s string) *string { return &s }

// TestRowDigestDistinguishesValues: value lists that differ only in NULL against the empty string against "~",
// in where one value ends and the next starts, or in length give different keys; equal lists
// give equal 16-byte keys.
func TestRowDigestDistinguishesValues(t *testing.T) {
	lists := map[string][]*string{
		"null":         {nil},
		"empty":        {sp("")},
		"tilde":        {sp("~")},
		"ab|c":         {sp("ab"), sp("c")},
		"a|bc":         {sp("a"), sp("bc")},
		"abc":          {sp("abc")},
		"null|null":    {nil, nil},
		"1:x as value": {sp("1:x")},
		"x":            {sp("x")},
	}
	seen := map[string]string{}
	for name, vals := range lists {
		d := RowDigest(vals)
		if len(d) != RowKeySize {
			t.Fatalf("%s: digest has %d bytes, want %d", name, len(d), RowKeySize)
		}
		if !bytes.Equal(d, RowDigest(append([]*string(nil), vals...))) {
			t.Fatalf("%s: digest is not deterministic", name)
		}
		if other, dup := seen[string(d)]; dup {
			t.Fatalf("%s and %s share a digest", name, other)
		}
		seen[string(d)] = name
	}
}

// TestCheckRowKeyedCopy: a copy keyed by row digest accepts exactly the source's columns in
// order; a primary-key table against a digest-keyed copy and the reverse are refused.
func TestCheckRowKeyedCopy(t *testing.T) {
	nopk := &Table{Database: "d", Name: "t", Columns: []Column{{Name: "a"}, {Name: "b"}}}
	pk := &Table{Database: "d", Name: "t", Columns: nopk.Columns, PK: []string{"a"}}
	cases := []struct {
		name    string
		t       *Table
		cols    []string
		rowKey  bool
		wantErr string
	}{
		{"same columns", nopk, []string{"a", "b"}, true, ""},
		{"pk table, pk copy", pk, []string{"a"}, false, ""},
		{"copy lacks a column", nopk, []string{"a"}, true, "differ"},
		{"copy has another column", nopk, []string{"a", "b", "c"}, true, "differ"},
		{"other order", nopk, []string{"b", "a"}, true, "differ"},
		{"pk table, digest copy", pk, []string{"a", "b"}, true, "now has primary key"},
		{"no-pk table, pk copy", nopk, []string{"a", "b"}, false, "has no _row_key column"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckRowKeyedCopy(c.t, "cp", "t", c.cols, c.rowKey)
			if c.wantErr == "" && err != nil || c.wantErr != "" && (!errors.Is(err, ErrBadRow) || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want ErrBadRow containing %q", err, c.wantErr)
			}
		})
	}
}

// BenchmarkRowDigest digests a 10-column row of about 200 bytes (the per-row cost the sinks add
// for a table without a primary key).
func BenchmarkRowDigest(b *testing.B) {
	vals := make([]*string, 10)
	for i := range vals {
		vals[i] = sp(strings.Repeat("v", 20))
	}
	b.ReportAllocs()
	for b.Loop() {
		RowDigest(vals)
	}
}
