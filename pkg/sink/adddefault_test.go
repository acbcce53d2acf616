package sink

import (
	"errors"
	"testing"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// TestAddedDefaultOf reads what existing rows get from ADD COLUMN definitions.
func TestAddedDefaultOf(t *testing.T) {
	for _, tc := range []struct {
		col     string
		notNull bool
		value   string // "<nil>" for NULL
		now     bool
		err     error
	}{
		{"c INT NOT NULL", true, "0", false, nil},
		{"c INT", false, "<nil>", false, nil},
		{"c INT NULL DEFAULT NULL", false, "<nil>", false, nil},
		{"c INT DEFAULT -7", false, "-7", false, nil},
		{"c DECIMAL(12,2) NOT NULL DEFAULT 1.5", true, "1.50", false, nil},
		{"c VARCHAR(5) NOT NULL DEFAULT 'it''s'", true, "it's", false, nil},
		{"c VARCHAR(5) NOT NULL", true, "", false, nil},
		{"c ENUM('p','q') NOT NULL", true, "p", false, nil},
		{"c DATE NOT NULL", true, "0000-00-00", false, nil},
		{"c DATETIME(3) NOT NULL", true, "0000-00-00 00:00:00.000", false, nil},
		{"c TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP", true, "<nil>", true, nil},
		{"c DATETIME DEFAULT NOW()", false, "<nil>", true, nil},
		{"c YEAR NOT NULL", true, "0", false, nil},
		{"c BIT(17) DEFAULT b'11001111011000111'", false, "106183", false, nil}, // the value, not "0x019ec7"
		{"c BIT(8) NOT NULL DEFAULT X'FF'", true, "255", false, nil},
		{"c BIT(8) NOT NULL DEFAULT 5", true, "5", false, nil},
		{"c VARBINARY(4) NOT NULL DEFAULT X'00FF41'", true, "\x00\xffA", false, nil},    // the bytes
		{"c TIME(3) NOT NULL DEFAULT '-838:59:59'", true, "-838:59:59.000", false, nil}, // as events carry it
		{"c TIME DEFAULT '5:07:09.5'", false, "05:07:09", false, nil},
		{"c TIME(1) DEFAULT '12:00:00.25'", false, "12:00:00.2", false, nil},
		{"c CHAR(8) DEFAULT 'ab  '", false, "ab", false, nil},
		{"c VARCHAR(8) DEFAULT 'ab  '", false, "ab  ", false, nil},
		{"c SET('x','y','z') NOT NULL DEFAULT 'z,x,z'", true, "x,z", false, nil},
		{"c BINARY(4) NOT NULL", true, "\x00\x00\x00\x00", false, nil}, // zero bytes, as MariaDB pads
		{"c BINARY(3) DEFAULT X'41'", false, "A\x00\x00", false, nil},
		{"c DECIMAL(65,30) NOT NULL", true, "0.000000000000000000000000000000", false, nil}, // a String copy column
		{"c DECIMAL(50,2) DEFAULT 24.1919", false, "24.19", false, nil},
		{"c DECIMAL(50,2) DEFAULT -0.125", false, "-0.13", false, nil},
		{"c DECIMAL(5,0) NOT NULL DEFAULT 7", true, "7", false, nil},
		{"c VARCHAR(36) DEFAULT (UUID())", false, "<nil>", false, ErrExprDefault},
	} {
		t.Run(tc.col, func(t *testing.T) {
			n, err := ParseDDL("ALTER TABLE t ADD COLUMN " + tc.col)
			if err != nil {
				t.Fatal(err)
			}
			d, err := AddedDefaultOf(n.(*ast.AlterTableStmt).Specs[0].NewColumns[0])
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			got := "<nil>"
			if d.Value != nil {
				got = *d.Value
			}
			if err != nil || d.NotNull != tc.notNull || got != tc.value || d.Now != tc.now {
				t.Fatalf("= {NotNull:%v Value:%q Now:%v}, %v; want {%v %q %v}", d.NotNull, got, d.Now, err, tc.notNull, tc.value, tc.now)
			}
		})
	}
	n, _ := ParseDDL("ALTER TABLE t ADD COLUMN c INT NOT NULL AUTO_INCREMENT")
	if _, err := AddedDefaultOf(n.(*ast.AlterTableStmt).Specs[0].NewColumns[0]); err == nil {
		t.Fatal("AUTO_INCREMENT: want an error (the copy cannot number existing rows)")
	}
}
