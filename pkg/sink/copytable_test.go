package sink

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// TestReadCopyTable checks that the row-key column is taken out of the types into RowKey.
func TestReadCopyTable(t *testing.T) {
	tests := []struct {
		name string
		rows [][2]string
		want string
	}{
		{"keyed", [][2]string{{"id", "int"}, {"_version", "u64"}, {"_deleted", "u8"}}, "db.t [id] map[id:int] false"},
		{"row-keyed", [][2]string{{"v", "int"}, {"_version", "u64"}, {"_deleted", "u8"}, {MetaColumnRowKey, "bin"}}, "db.t [v] map[v:int] true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := ReadCopyTable(&fakeRows{rows: tc.rows}, "db", "t")
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(ct.DB+"."+ct.Name, " ", ct.Columns, " ", ct.Types, " ", ct.RowKey); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCopyKeyAndCheckWritable checks the copy's key columns and the check that a source shape
// can be written into a copy.
func TestCopyKeyAndCheckWritable(t *testing.T) {
	keyed := &Table{Database: "s", Name: "t", PK: []string{"a", "b"}, Columns: []Column{{Name: "a"}, {Name: "b"}, {Name: "c"}}}
	noPK := &Table{Database: "s", Name: "t", Columns: []Column{{Name: "a"}, {Name: "b"}}}
	q := func(s string) string { return "`" + s + "`" }
	tests := []struct {
		name    string
		t       *Table
		copy    *CopyTable
		wantKey string
		wantErr bool
	}{
		{"keyed", keyed, &CopyTable{DB: "c", Name: "t", Columns: []string{"a", "b"}, Types: map[string]string{"a": "", "b": ""}}, "`a`,`b`", false},
		{"key column missing", keyed, &CopyTable{DB: "c", Name: "t", Columns: []string{"a", "c"}, Types: map[string]string{"a": "", "c": ""}}, "`a`,`b`", true},
		{"row-keyed", noPK, &CopyTable{DB: "c", Name: "t", Columns: []string{"a", "b"}, Types: map[string]string{"a": "", "b": ""}, RowKey: true}, "`" + MetaColumnRowKey + "`", false},
		{"row-keyed source, keyed copy", noPK, &CopyTable{DB: "c", Name: "t", Columns: []string{"a", "b"}, Types: map[string]string{"a": "", "b": ""}}, "`" + MetaColumnRowKey + "`", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(CopyKey(tc.t, q), ","); got != tc.wantKey {
				t.Errorf("CopyKey = %q, want %q", got, tc.wantKey)
			}
			err := tc.copy.CheckWritable(tc.t)
			if (err != nil) != tc.wantErr {
				t.Errorf("CheckWritable = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadRow) {
				t.Errorf("CheckWritable = %v, want ErrBadRow", err)
			}
		})
	}
}

// fakeMigrator records what MigrateCopyTables asks of an engine.
type fakeMigrator struct {
	copies map[string]*CopyTable
	log    []string
}

func (m *fakeMigrator) LoadCopyTable(_ context.Context, t *Table) (*CopyTable, error) {
	if ct, ok := m.copies[t.Name]; ok {
		return ct, nil
	}
	return nil, fmt.Errorf("%s: %w", t.Name, ErrNoCopyTable)
}

func (m *fakeMigrator) CreateCopyTable(_ context.Context, t *Table) (string, error) {
	return "create " + t.Name, nil
}

func (m *fakeMigrator) AddCopyColumn(_ context.Context, ct *CopyTable, c Column) (string, error) {
	return "add " + ct.Name + "." + c.Name, nil
}

func (m *fakeMigrator) RefreshCopyView(_ context.Context, t *Table) error {
	m.log = append(m.log, "view "+t.Name)
	return nil
}

// TestMigrateCopyTables checks the migration: missing copies created, missing columns added
// (none dropped), views refreshed, and a row-keyed copy refused.
func TestMigrateCopyTables(t *testing.T) {
	m := &fakeMigrator{copies: map[string]*CopyTable{
		"old": {DB: "c", Name: "old", Columns: []string{"id", "gone"}, Types: map[string]string{"id": "", "gone": ""}},
	}}
	tables := []*Table{
		{Database: "s", Name: "new", PK: []string{"id"}, Columns: []Column{{Name: "id"}}},
		{Database: "s", Name: "old", PK: []string{"id"}, Columns: []Column{{Name: "id"}, {Name: "x"}, {Name: "y"}}},
	}
	ran, err := MigrateCopyTables(context.Background(), m, tables)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(ran, "; "), "create new; add old.x; add old.y"; got != want {
		t.Errorf("ran %q, want %q", got, want)
	}
	if got, want := strings.Join(m.log, "; "), "view old"; got != want {
		t.Errorf("views %q, want %q", got, want)
	}
	m.copies["rk"] = &CopyTable{DB: "c", Name: "rk", Columns: []string{"v"}, Types: map[string]string{"v": ""}, RowKey: true}
	_, err = MigrateCopyTables(context.Background(), m, []*Table{{Database: "s", Name: "rk", Columns: []Column{{Name: "v"}, {Name: "w"}}}})
	if err == nil || !strings.Contains(err.Error(), "migrate c.rk") {
		t.Errorf("row-keyed copy with a new column: err %v, want a migrate error", err)
	}
}
