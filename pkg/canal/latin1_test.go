package canal

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestLatin1IsTheSourcesLatin1: decodeLatin1 gives, for every byte, the text the source itself
// returns for it over a utf8mb4 connection (what backfill, verify and repair read).
func TestLatin1IsTheSourcesLatin1(t *testing.T) {
	st := testenv.Get(t)
	src := st.OpenSource(t, "")
	for b := 0; b < 256; b++ {
		var want string
		q := fmt.Sprintf("SELECT CONVERT(CONVERT(UNHEX('%02X') USING latin1) USING utf8mb4)", b)
		if err := src.QueryRow(q).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got := decodeLatin1([]byte{byte(b)}); got != want {
			t.Errorf("byte 0x%02X: stream text %q (U+%04X), source text %q", b, got, []rune(got)[0], want)
		}
	}
}

// TestLatin1ColumnStreamsTheSourcesText: text written into a latin1 column is published as the
// text the source holds ('’€–' are cp1252 bytes 0x92 0x80 0x96), not as ISO-8859-1 controls.
func TestLatin1ColumnStreamsTheSourcesText(t *testing.T) {
	st, db, src := newSourceDB(t, "CREATE TABLE l1 (id INT PRIMARY KEY, c VARCHAR(20) CHARACTER SET latin1, k CHAR(3) CHARACTER SET latin1)")
	mt := startMem(t, testConfig(t, st, db), 1, nil)
	const text = "’€– café"
	mustExec(t, src, "INSERT INTO l1 VALUES (1, '"+text+"', '€')")
	rows := mt.waitRows(t, 1, 20*time.Second)
	var c, k string
	if err := src.QueryRow("SELECT c, k FROM l1 WHERE id = 1").Scan(&c, &k); err != nil {
		t.Fatal(err)
	}
	if c != text || k != "€" {
		t.Fatalf("source returns %q, %q; want %q, %q", c, k, text, "€")
	}
	if got := *rows[0].Data["c"]; got != c {
		t.Errorf("streamed c = %q (% x), source %q", got, []byte(got), c)
	}
	if got := strings.TrimRight(*rows[0].Data["k"], " "); got != k {
		t.Errorf("streamed k = %q, source %q", got, k)
	}
}
