package sink

import (
	"errors"
	"strings"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

func TestParseDDLPolicy(t *testing.T) {
	for _, tc := range []struct {
		in      string
		kind    string
		want    DDLAction
		wantErr bool
	}{
		{"", "ALTER", DDLApply, false},
		{"", "ERASE", DDLHalt, false},
		{"", "CINDEX", DDLIgnore, false},
		{"", "SOMETHING_NEW", DDLHalt, false},
		{"ERASE=ignore", "ERASE", DDLIgnore, false},
		{" alter = halt , query=apply", "ALTER", DDLHalt, false},
		{" alter = halt , query=apply", "QUERY", DDLApply, false},
		{"ALTER=maybe", "", "", true},
		{"ALTER", "", "", true},
	} {
		t.Run(tc.in+"/"+tc.kind, func(t *testing.T) {
			p, err := ParseDDLPolicy(tc.in)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "KIND=apply|ignore|halt") {
					t.Fatalf("ParseDDLPolicy(%q) = %v, want an error explaining the syntax", tc.in, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Action(tc.kind); got != tc.want {
				t.Fatalf("Action(%s) = %s, want %s", tc.kind, got, tc.want)
			}
		})
	}
}

func TestHaltErrorNamesTheWayOut(t *testing.T) {
	err := error(&HaltError{DDL: DDL{Kind: "ERASE", Version: 42, Position: "mysql-bin.000003:1234", SQL: "DROP TABLE t"}, Reason: "policy"})
	if !errors.Is(err, ErrDDLHalt) {
		t.Fatal("HaltError does not wrap ErrDDLHalt")
	}
	for _, want := range []string{"mysql-bin.000003:1234", "version 42", "DROP TABLE t", "replayer ddl skip --version 42", "--ddl-policy ERASE="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestMapDatabase(t *testing.T) {
	for _, tc := range []struct{ tmpl, src, want string }{
		{"{db}_copy", "shop", "shop_copy"},
		{"fixed", "shop", "fixed"},
		{"x_{db}_{db}", "a", "x_a_a"},
	} {
		if got := MapDatabase(tc.tmpl, tc.src); got != tc.want {
			t.Errorf("MapDatabase(%q, %q) = %q, want %q", tc.tmpl, tc.src, got, tc.want)
		}
	}
}

func TestTableFromCreate(t *testing.T) {
	node, err := ParseDDL("CREATE TABLE shop.t (a INT UNSIGNED NOT NULL, b DECIMAL(12,2), c DATETIME(3), d JSON, e ENUM('x','y'), PRIMARY KEY (a, e), UNIQUE KEY (b))")
	if err != nil {
		t.Fatal(err)
	}
	ct, ok := node.(*ast.CreateTableStmt)
	if !ok {
		t.Fatalf("parsed %T", node)
	}
	tb, err := TableFromCreate(ct, "other")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range tb.Columns {
		got = append(got, c.Name+" "+c.MySQLType)
	}
	want := "a int(11) unsigned|b decimal(12,2)|c datetime(3)|d json|e enum('x','y')"
	if strings.Join(got, "|") != want || strings.Join(tb.PK, ",") != "a,e" || tb.Database != "shop" {
		t.Fatalf("table = %s %v %s, want %s [a e] shop", strings.Join(got, "|"), tb.PK, tb.Database, want)
	}
}

// TestDDLPolicyCarry checks that halt returns a HaltError without running the DDL, apply runs
// it (and passes its error on) and ignore does nothing.
func TestDDLPolicyCarry(t *testing.T) {
	p := DDLPolicy{"ALTER": DDLApply, "DROP": DDLIgnore, "ERASE": DDLHalt}
	failed := errors.New("boom")
	tests := []struct {
		kind    string
		runErr  error
		want    DDLAction
		wantRun bool
		wantErr error
	}{
		{"ALTER", nil, DDLApply, true, nil},
		{"ALTER", failed, DDLApply, true, failed},
		{"DROP", nil, DDLIgnore, false, nil},
		{"ERASE", nil, DDLHalt, false, ErrDDLHalt},
		{"QUERY", nil, DDLHalt, false, ErrDDLHalt},
	}
	for _, tc := range tests {
		t.Run(tc.kind+map[bool]string{true: " failing"}[tc.runErr != nil], func(t *testing.T) {
			ran := false
			got, err := p.Carry(&DDL{Kind: tc.kind}, func() error { ran = true; return tc.runErr })
			if got != tc.want || ran != tc.wantRun || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("Carry(%s) = %q, %v, ran %v; want %q, %v, ran %v", tc.kind, got, err, ran, tc.want, tc.wantErr, tc.wantRun)
			}
		})
	}
}
