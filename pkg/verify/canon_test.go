package verify

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/backfill/backfilltest"
)

// decimalSamples are DECIMAL(12,2) values, several ending in 0.
var decimalSamples = []string{"12.30", "5.00", "100.00", "-0.50", "7.25", "0.00", "1000000.10"}

// TestDecimalCanonicalText: the canonical text of a DECIMAL is the same on MariaDB, on the
// stack's ClickHouse 18.16 (toString keeps the scale's zeros) and on a current ClickHouse
// (26.9 through chdb; toString drops trailing zeros since 21.9).
func TestDecimalCanonicalText(t *testing.T) {
	st := testenv.Get(t)
	c := column{Name: "d", Kind: kindDecimal, Scale: 2}
	db := st.NewSourceDatabase(t)
	src := st.OpenSource(t, db)
	values := "(" + strings.Join(decimalSamples, "), (") + ")"
	for _, q := range []string{"CREATE TABLE dec_t (id INT AUTO_INCREMENT PRIMARY KEY, d DECIMAL(12,2))",
		"INSERT INTO dec_t (d) VALUES " + values} {
		if _, err := src.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	want := queryColumn(t, src, "SELECT "+mysqlExpr(c)+" FROM dec_t ORDER BY id")
	chdbQuery := "SELECT " + chExpr(c, "Decimal(12, 2)") + " FROM (SELECT toDecimal64(arrayJoin(['" +
		strings.Join(decimalSamples, "', '") + "']), 2) AS d)"
	ch := backfilltest.OpenClickHouse(st, "")
	defer ch.Close()
	got18 := queryColumn(t, ch, chdbQuery)
	if strings.Join(got18, " ") != strings.Join(want, " ") {
		t.Errorf("ClickHouse 18.16 canonical decimals %q, MariaDB %q", got18, want)
	}
	got26, err := chdbColumn(chdbQuery)
	if err != nil {
		t.Skipf("no current ClickHouse (chdb) here: %v", err)
	}
	if strings.Join(got26, " ") != strings.Join(want, " ") {
		t.Errorf("ClickHouse 26.9 (chdb) canonical decimals %q, MariaDB %q", got26, want)
	}
}

func queryColumn(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// chdbColumn runs q on the ClickHouse embedded in the chdb Python package ($FERRY_CHDB_PYTHON,
// else the virtual environment scripts/install-deps creates) and returns its first column.
func chdbColumn(q string) ([]string, error) {
	py := os.Getenv("FERRY_CHDB_PYTHON")
	if py == "" {
		home, _ := os.UserHomeDir()
		py = filepath.Join(home, ".cache", "ferry", "chdb-venv", "bin", "python")
	}
	if _, err := os.Stat(py); err != nil {
		return nil, err
	}
	out, err := exec.Command(py, "-c", "import sys, chdb; sys.stdout.write(str(chdb.query(sys.argv[1], 'TSVRaw')))", q).Output()
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}
