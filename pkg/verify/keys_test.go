package verify_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/verify"
)

// TestVerifyOddKeys: tables keyed by VARBINARY and BIT, with DECIMAL values ending in 0. A
// clean copy verifies clean; a changed row and an extra row in a binary-keyed copy are reported
// (the re-check must look the hex key up as bytes, not drop the difference) and repaired.
func TestVerifyOddKeys(t *testing.T) {
	f := newSourceFixture(t)
	f.exec(t,
		"CREATE TABLE `"+f.srcDB+"`.bk (k VARBINARY(8) PRIMARY KEY, d DECIMAL(10,2), n INT)",
		"CREATE TABLE `"+f.srcDB+"`.bt (b BIT(8) PRIMARY KEY, d DECIMAL(12,4) NOT NULL)",
	)
	var bk, bt []string
	for i := 0; i < 60; i++ {
		bk = append(bk, fmt.Sprintf("(UNHEX('%02X80FF%02X'), %d.%d0, %d)", i, 255-i, i, i%10, i))
		bt = append(bt, fmt.Sprintf("(%d, %d.5000)", i*4, i))
	}
	f.exec(t,
		"INSERT INTO `"+f.srcDB+"`.bk VALUES "+strings.Join(bk, ", "),
		"INSERT INTO `"+f.srcDB+"`.bt VALUES "+strings.Join(bt, ", "),
	)
	f.loadCopies(t)
	tables := []verify.TableRef{{Database: f.srcDB, Name: "bk"}, {Database: f.srcDB, Name: "bt"}}
	for _, sinkName := range []string{"mysql", "clickhouse"} {
		t.Run(sinkName, func(t *testing.T) {
			for _, r := range run(t, f, sinkName, tables, nil, nil) {
				if !r.OK() || r.SourceRows != 60 || r.CopyRows != 60 {
					t.Fatalf("clean copy %s: ok=%v rows %d/%d diffs %v", r.Table, r.OK(), r.SourceRows, r.CopyRows, diffStrings(r.Diffs))
				}
			}
			corruptBinaryKeys(t, f, sinkName)
			want := "changed:0780FFF8 extra:DEAD"
			got := run(t, f, sinkName, tables[:1], nil, nil)
			if d := strings.Join(diffStrings(got[0].Diffs), " "); d != want || got[0].OK() {
				t.Fatalf("corrupted binary-keyed copy: ok=%v diffs %q, want %q", got[0].OK(), d, want)
			}
			run(t, f, sinkName, tables[:1], f.repairer(t, f.sinkOf(sinkName)), nil)
			if r := run(t, f, sinkName, tables[:1], nil, nil)[0]; !r.OK() || r.CopyRows != 60 {
				t.Errorf("after repair: ok=%v rows %d/%d diffs %v", r.OK(), r.SourceRows, r.CopyRows, diffStrings(r.Diffs))
			}
		})
	}
}

// corruptBinaryKeys changes the row with key 0x0780FFF8 and adds a row with key 0xDEAD.
func corruptBinaryKeys(t *testing.T, f *fixture, sinkName string) {
	t.Helper()
	ctx := context.Background()
	if sinkName == "mysql" {
		db := "`" + f.copies.MySQLCopy + "`"
		for _, q := range []string{
			"UPDATE " + db + ".bk SET n = n + 1 WHERE k = UNHEX('0780FFF8')",
			"INSERT INTO " + db + ".bk (k, d, n, _version, _deleted) VALUES (UNHEX('DEAD'), 1.50, 1, 1, 0)",
		} {
			if _, err := f.copies.MySQL.ExecContext(ctx, q); err != nil {
				t.Fatalf("corrupt: %s: %v", q, err)
			}
		}
		return
	}
	db := "`" + f.copies.CHCopy + "`"
	for _, q := range []string{
		"INSERT INTO " + db + ".bk (k, d, n, _version, _deleted) SELECT k, d, n + 1, _version, _deleted FROM " + db + ".bk FINAL WHERE k = unhex('0780FFF8')",
		"INSERT INTO " + db + ".bk (k, d, n, _version, _deleted) SELECT unhex('DEAD'), d, n, 1, 0 FROM " + db + ".bk FINAL WHERE k = unhex('0780FFF8')",
	} {
		if _, err := f.copies.CH.ExecContext(ctx, q); err != nil {
			t.Fatalf("corrupt: %s: %v", q, err)
		}
	}
}

// TestVerifyFloatColumnsAndKeys: FLOAT columns (and a FLOAT key) compare equal on both copies:
// MariaDB's CAST(FLOAT AS CHAR) has 6 digits while ClickHouse's Float32 text has all of them.
func TestVerifyFloatColumnsAndKeys(t *testing.T) {
	f := newSourceFixture(t)
	var vals []string
	for i := 1; i <= 40; i++ {
		vals = append(vals, fmt.Sprintf("(%d.%d1, %d.1415927, %d.25)", i, i, i, i))
	}
	f.exec(t,
		"CREATE TABLE `"+f.srcDB+"`.fk (k FLOAT PRIMARY KEY, f FLOAT, d DOUBLE)",
		"INSERT INTO `"+f.srcDB+"`.fk VALUES "+strings.Join(vals, ", "),
	)
	f.loadCopies(t)
	for _, sinkName := range []string{"mysql", "clickhouse"} {
		t.Run(sinkName, func(t *testing.T) {
			r := run(t, f, sinkName, []verify.TableRef{{Database: f.srcDB, Name: "fk"}}, nil, nil)[0]
			if !r.OK() || r.SourceRows != 40 || r.CopyRows != 40 {
				t.Fatalf("clean copy: ok=%v rows %d/%d diffs %v", r.OK(), r.SourceRows, r.CopyRows, diffStrings(r.Diffs))
			}
		})
	}
}

// TestVerifySkipsExcludedColumns: a column the tailer excludes (the copy holds NULL there) is
// not compared when verify is given the same exclude-columns globs, and is compared otherwise.
func TestVerifySkipsExcludedColumns(t *testing.T) {
	f := newSourceFixture(t)
	f.exec(t,
		"CREATE TABLE `"+f.srcDB+"`.u (id INT PRIMARY KEY, name VARCHAR(20), email VARCHAR(50))",
		"INSERT INTO `"+f.srcDB+"`.u VALUES (1, 'a', 'a@x'), (2, 'b', 'b@x')",
	)
	f.loadCopies(t)
	if _, err := f.copies.MySQL.Exec("UPDATE `" + f.copies.MySQLCopy + "`.u SET email = NULL"); err != nil {
		t.Fatal(err)
	}
	ref := []verify.TableRef{{Database: f.srcDB, Name: "u"}}
	if r := run(t, f, "mysql", ref, nil, nil)[0]; r.OK() {
		t.Fatal("a copy without the email values verified clean without exclude-columns")
	}
	cfg := quickConfig()
	cfg.ExcludeColumns = []string{f.srcDB + ".u.email"}
	v, err := verify.New(cfg, f.src, f.copyOf("mysql"), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := v.Table(context.Background(), ref[0])
	if err != nil || !r.OK() {
		t.Fatalf("with exclude-columns: err %v ok=%v diffs %v", err, r != nil && r.OK(), r)
	}
}
