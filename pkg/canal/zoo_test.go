package canal

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

const zooDDL = `CREATE TABLE zoo (
 id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
 ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, miu MEDIUMINT UNSIGNED,
 i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
 d DECIMAL(65,30), d2 DECIMAL(12,2), d0 DECIMAL(10,0), du DECIMAL(5,3) UNSIGNED,
 f FLOAT, db DOUBLE,
 dt DATETIME, dt3 DATETIME(3), dt6 DATETIME(6), ts TIMESTAMP NULL DEFAULT NULL, ts6 TIMESTAMP(6) NULL DEFAULT NULL,
 dte DATE, tm TIME, tm3 TIME(3), tm6 TIME(6), yr YEAR,
 b1 BIT(1), b12 BIT(12), b64 BIT(64),
 e ENUM('a','b','it''s'), s SET('x','y','z'),
 c CHAR(10), vc VARCHAR(300), tx TEXT, lt LONGTEXT, js JSON,
 bn BINARY(4), vb VARBINARY(300), bl BLOB, lb LONGBLOB,
 l1 VARCHAR(20) CHARACTER SET latin1
)`

// zooRows covers the extremes of every type; row 3 is all NULL.
var zooRows = []string{
	`(1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
	  '99999999999999999999999999999999999.999999999999999999999999999999', 9999999999.99, 9999999999, 99.999,
	  3.4028235e38, 1.7976931348623157e308,
	  '9999-12-31 23:59:59', '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07', '2038-01-19 03:14:07.999999',
	  '9999-12-31', '838:59:59', '838:59:59.999', '838:59:59.000001', 2155,
	  1, 4095, 18446744073709551615,
	  'it''s', 'x,y,z',
	  'abcdefghij', 'emoji 🎉 and ü', 'text with "quotes" and \\ backslash', REPEAT('long ', 1000), '{"a": [1, 2.5, "x"], "b": null}',
	  X'00FF7F80', X'DEADBEEF', X'000102', X'FFFE', 'café')`,
	`(2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
	  '-99999999999999999999999999999999999.999999999999999999999999999999', -0.01, -9999999999, 0.001,
	  -1.17549435e-38, -2.2250738585072014e-308,
	  '0000-00-00 00:00:00', '0000-00-00 00:00:00.000', '1000-01-01 00:00:00.000001', '1970-01-01 00:00:01', '1970-01-01 00:00:01.000001',
	  '0000-00-00', '-838:59:59', '-838:59:59.999', '-00:00:00.000001', 0,
	  0, 0, 0,
	  'a', '',
	  '', '', '', '', '[]',
	  X'00000000', X'', X'', X'', '')`,
	`(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
	`(4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9223372036854775808, '-0.000000000000000000000000000001', 12.30, 0, 0.000123, 0.1, 0.1,
	  '2024-02-29 12:34:56', '2024-02-29 12:34:56.120', '2024-02-29 12:34:56.000000', '2024-02-29 12:34:56', '2024-02-29 12:34:56.5',
	  '2024-02-29', '00:00:00', '00:00:00.000', '-12:00:00.5', 1901,
	  1, 2048, 9223372036854775808,
	  'b', 'x,z',
	  'ü', '日本語テキスト', 'multi
line', 'tab	x', '{"k": "é"}',
	  X'7F800001', X'0A0D00', X'5C27', X'22', 'Ü')`,
}

// zooSelect returns the source's text rendering of each row (what a client sees), in the tailer's
// encoding: binary columns through event.EncodeBytes, BIT as unsigned decimal, TIMESTAMP in UTC.
func zooSelect(t *testing.T, db *sql.DB, cols []string, binary map[string]bool) map[string]map[string]*string {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mustExec(t, conn, "SET time_zone = '+00:00'")
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = "`" + c + "`"
		if strings.HasPrefix(c, "b") && c != "bi" && c != "biu" && c != "bl" && c != "bn" {
			exprs[i] = "CAST(`" + c + "` AS UNSIGNED)"
		}
		if c == "yr" {
			exprs[i] = "LPAD(yr, 4, '0')" // the wire sends YEAR 0 as "0"; clients zero-fill it to 0000
		}
	}
	rows, err := conn.QueryContext(ctx, "SELECT "+strings.Join(exprs, ",")+" FROM zoo ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]*string{}
	for rows.Next() {
		m := scanText(t, rows, cols, binary)
		out[*m["id"]] = m
	}
	return out
}

func TestTypeZooRoundTrip(t *testing.T) {
	st, dbName, src := newSourceDB(t, zooDDL)
	cfg := testConfig(t, st, dbName)
	mt := startMem(t, cfg, 4, nil)
	ctx := context.Background()
	conn, err := src.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	mustExec(t, conn, "SET time_zone = '+00:00'", "SET sql_mode = ''")
	for _, r := range zooRows {
		mustExec(t, conn, "INSERT INTO zoo VALUES "+r)
	}
	rows := mt.waitRows(t, len(zooRows), 30*time.Second)

	var first *event.Message
	for _, r := range mt.rec.Snapshot() {
		if !r.Msg.IsDDL {
			first = r.Msg
			break
		}
	}
	binary := map[string]bool{}
	for c, typ := range first.MySQLType {
		ct, err := event.ParseMySQLType(typ)
		if err != nil {
			t.Fatalf("column %s: mysqlType %q: %v", c, typ, err)
		}
		binary[c] = ct.IsBinary()
	}
	// A pool without parseTime, so temporal values arrive as the server's text.
	text := st.OpenSourceWith(t, dbName, "&parseTime=false")
	want := zooSelect(t, text, first.Ferry.Columns, binary)
	for _, rc := range rows {
		w := want[*rc.Data["id"]]
		for _, c := range first.Ferry.Columns {
			if c == "f" || c == "db" {
				continue // compared numerically below
			}
			if !equalPtr(rc.Data[c], w[c]) {
				t.Errorf("row %s column %s (%s): published %s, SELECT %s", *rc.Data["id"], c, first.MySQLType[c], show(rc.Data[c]), show(w[c]))
			}
		}
	}
	checkFloats(t, src, rows)
	checkTypes(t, src, first)
}

// checkFloats compares FLOAT/DOUBLE exactly through the binary protocol (text SELECT rounds).
func checkFloats(t *testing.T, db *sql.DB, rows []publishtest.Change) {
	for _, rc := range rows {
		var f sql.NullFloat64
		var d sql.NullFloat64
		var f32 *float32
		if err := db.QueryRow("SELECT f, db FROM zoo WHERE id = ?", *rc.Data["id"]).Scan(&f, &d); err != nil {
			t.Fatal(err)
		}
		if f.Valid {
			v := float32(f.Float64)
			f32 = &v
		}
		check := func(name string, pub *string, valid bool, want float64, bits int) {
			if !valid || pub == nil {
				if valid != (pub != nil) {
					t.Errorf("row %s %s: NULL mismatch", *rc.Data["id"], name)
				}
				return
			}
			got, err := strconv.ParseFloat(*pub, bits)
			if err != nil || got != want || *pub != event.FormatFloat(want, bits) {
				t.Errorf("row %s %s: published %q, source %v", *rc.Data["id"], name, *pub, want)
			}
		}
		if f32 != nil {
			check("f", rc.Data["f"], true, float64(*f32), 32)
		} else {
			check("f", rc.Data["f"], false, 0, 32)
		}
		check("db", rc.Data["db"], d.Valid, d.Float64, 64)
	}
}

// checkTypes compares each column's mysqlType with the source's own COLUMN_TYPE (what SHOW CREATE
// TABLE and Canal's mysqlType say, display widths included) and its sqlType with Canal's code.
func checkTypes(t *testing.T, src *sql.DB, m *event.Message) {
	rows, err := src.Query("SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE FROM information_schema.COLUMNS " +
		"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'zoo'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, colType, dataType string
		if err := rows.Scan(&name, &colType, &dataType); err != nil {
			t.Fatal(err)
		}
		n++
		if m.MySQLType[name] != colType {
			t.Errorf("mysqlType[%s] = %q, source COLUMN_TYPE %q", name, m.MySQLType[name], colType)
		}
		if want, ok := canalSQLType[colType]; ok && m.SQLType[name] != want {
			t.Errorf("sqlType[%s] (%s) = %d, want %d", name, colType, m.SQLType[name], want)
		}
	}
	if n != len(m.Ferry.Columns) || rows.Err() != nil {
		t.Errorf("source has %d columns, message %d (%v)", n, len(m.Ferry.Columns), rows.Err())
	}
	if fmt.Sprint(m.PKNames) != "[id]" {
		t.Errorf("pkNames = %v", m.PKNames)
	}
}

// canalSQLType is the code Canal 1.1.7 sends for a non-NULL value of these MariaDB columns
// (RowsLogBuffer + LogEventConvert), or Ferry's documented choice where its value differs.
var canalSQLType = map[string]int{
	"bigint(20) unsigned": -5, "bigint(20)": -5, "tinyint(4)": -6, "smallint(6)": 5, "mediumint(9)": 4,
	"mediumint(8) unsigned": 4, "int(11)": 4, "decimal(65,30)": 3, "float": 7, "double": 8,
	"datetime(3)": 93, "timestamp(6)": 93, "date": 91, "time(3)": 92, "year(4)": 12, "bit(12)": -7,
	"char(10)": 1, "varchar(300)": 12, "text": 2005, "longtext": 2005, // MariaDB JSON is longtext
	"binary(4)": 2004, "varbinary(300)": 2004, "blob": 2004, "longblob": 2004,
	// Ferry's choices (schemas/change-event.md): the code that holds the value Ferry sends.
	"tinyint(3) unsigned": 5, "smallint(5) unsigned": 4, "int(10) unsigned": -5,
	"enum('a','b','it''s')": 1, "set('x','y','z')": 1,
}

func equalPtr(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func show(p *string) string {
	if p == nil {
		return "NULL"
	}
	return strconv.Quote(*p)
}
