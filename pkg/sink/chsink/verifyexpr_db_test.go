package chsink

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/internal/chdb"
	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// decimalSamples are DECIMAL(12,2) values, several ending in 0.
var decimalSamples = []string{"12.30", "5.00", "100.00", "-0.50", "7.25", "0.00", "1000000.10"}

// TestDecimalCanonicalText: the canonical text of a DECIMAL is the same on MariaDB, on the
// stack's ClickHouse 18.16 (toString keeps the scale's zeros) and on a current ClickHouse
// (26.9 through chdb; toString drops trailing zeros since 21.9).
func TestDecimalCanonicalText(t *testing.T) {
	st := testenv.Get(t)
	c := source.Column{Name: "d", Kind: source.KindDecimal, Scale: 2}
	db := st.NewSourceDatabase(t)
	src := st.OpenSource(t, db)
	values := "(" + strings.Join(decimalSamples, "), (") + ")"
	for _, q := range []string{"CREATE TABLE dec_t (id INT AUTO_INCREMENT PRIMARY KEY, d DECIMAL(12,2))",
		"INSERT INTO dec_t (d) VALUES " + values} {
		if _, err := src.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	want := queryColumn(t, src, "SELECT "+source.Expr(c)+" FROM dec_t ORDER BY id")
	chQuery := "SELECT " + canonExpr(c, "Decimal(12, 2)") + " FROM (SELECT toDecimal64(arrayJoin(['" +
		strings.Join(decimalSamples, "', '") + "']), 2) AS d)"
	ch := openCH(t, st)
	got18 := queryColumn(t, ch, chQuery)
	if strings.Join(got18, " ") != strings.Join(want, " ") {
		t.Errorf("ClickHouse 18.16 canonical decimals %q, MariaDB %q", got18, want)
	}
	got26, err := chdbColumn(chQuery)
	if err != nil {
		t.Fatalf("current ClickHouse (chdb): %v", err)
	}
	if strings.Join(got26, " ") != strings.Join(want, " ") {
		t.Errorf("ClickHouse 26.9 (chdb) canonical decimals %q, MariaDB %q", got26, want)
	}
}

// chdbColumn runs q on the ClickHouse embedded in the chdb Python package (internal/chdb) and
// returns its first column.
func chdbColumn(q string) ([]string, error) {
	_, outs, err := chdb.Run([]chdb.Step{{SQL: q, Result: true}})
	if err != nil {
		return nil, err
	}
	if outs[0].Err != "" {
		return nil, fmt.Errorf("chdb: %s", outs[0].Err)
	}
	var col []string
	for _, r := range outs[0].Rows {
		if len(r) == 0 || r[0] == nil {
			return nil, fmt.Errorf("chdb: NULL or empty row in %q", q)
		}
		col = append(col, *r[0])
	}
	return col, nil
}
