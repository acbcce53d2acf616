package event

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// wire decodes a message's bytes into a generic map, as a foreign consumer reads them.
func wire(t *testing.T, m *Message) map[string]any {
	t.Helper()
	b, err := AppendJSON(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]any
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return w
}

// TestTopLevelGTID: Canal's FlatMessage has a top-level "gtid"; Ferry fills it and keeps
// ferry.gtid (the transaction's own GTID).
func TestTopLevelGTID(t *testing.T) {
	m := sampleRows()
	m.GTID = "0-1-5,1-2-7"
	w := wire(t, m)
	if w["gtid"] != "0-1-5,1-2-7" {
		t.Fatalf("top-level gtid = %v", w["gtid"])
	}
	if w["ferry"].(map[string]any)["gtid"] != "0-1-5" {
		t.Fatalf("ferry.gtid = %v", w["ferry"].(map[string]any)["gtid"])
	}
	m.GTID = ""
	if w := wire(t, m); w["gtid"] != "" { // Canal writes "" when it has no GTID
		t.Fatalf("empty gtid written as %#v", w["gtid"])
	}
	got, err := Decode(mustAppend(t, sampleWithGTID()))
	if err != nil || got.GTID != "0-1-9" {
		t.Fatalf("decode gtid = %q, %v", got.GTID, err)
	}
}

func sampleWithGTID() *Message {
	m := sampleRows()
	m.GTID = "0-1-9"
	return m
}

func mustAppend(t *testing.T, m *Message) []byte {
	t.Helper()
	b, err := AppendJSON(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDDLCopyWireForm: the copy for queues 1..n reads, to a Canal client, as a QUERY with an empty
// statement (Canal's adapters run DDL only when isDdl && sql != "", and act on no other type
// without data), while Decode gives Go consumers the same DDL as the queue-0 original.
func TestDDLCopyWireForm(t *testing.T) {
	for _, typ := range []string{TypeAlter, TypeTruncate, TypeErase, TypeCreate, TypeRename, TypeQuery} {
		t.Run(typ, func(t *testing.T) {
			orig := sampleDDL()
			orig.Type = typ
			cp := sampleDDL()
			cp.Type = typ
			cp.Ferry = &Meta{Format: 1, Versions: []uint64{7}, Pos: 7}
			cp.MarkDDLCopy()
			w := wire(t, cp)
			if w["isDdl"] != true || w["type"] != TypeQuery || w["sql"] != "" {
				t.Fatalf("copy on the wire: isDdl %v type %v sql %q", w["isDdl"], w["type"], w["sql"])
			}
			if pk, ok := w["pkNames"].([]any); !ok || len(pk) != 0 {
				t.Fatalf("copy pkNames = %#v, want [] (Canal's mirror-db adapter iterates it)", w["pkNames"])
			}
			if canalRunsDDL(w) || canalTruncates(w) {
				t.Fatal("a Canal adapter would act on the copy")
			}
			d := w["ferry"].(map[string]any)["ddlCopy"].(map[string]any)
			if d["type"] != typ || d["sql"] != orig.SQL {
				t.Fatalf("ferry.ddlCopy = %v", d)
			}
			ow := wire(t, orig)
			if !canalRunsDDL(ow) || ow["ferry"].(map[string]any)["ddlCopy"] != nil {
				t.Fatalf("the queue-0 original must stay Canal's DDL: %v", ow)
			}
			decoders := map[string]func([]byte) (*Message, error){
				"Decode":       Decode,
				"DecodeCached": func(b []byte) (*Message, error) { return DecodeCached(b, NewSchemaCache()) },
			}
			for name, decode := range decoders {
				got, err := decode(mustAppend(t, cp))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got.Type != typ || got.SQL != orig.SQL || got.Ferry.DDLCopy == nil {
					t.Fatalf("%s: decoded copy: type %s sql %q copy %v", name, got.Type, got.SQL, got.Ferry.DDLCopy)
				}
				if _, err := Encode(got); err != nil {
					t.Fatalf("%s: re-encode decoded copy: %v", name, err)
				}
			}
		})
	}
}

// canalRunsDDL is the test Canal's RDB adapter (RdbSyncService, RdbMirrorDbSyncService) makes
// before it executes a message's sql: isDdl && StringUtils.isNotEmpty(sql).
func canalRunsDDL(w map[string]any) bool {
	sql, _ := w["sql"].(string)
	return w["isDdl"] == true && sql != ""
}

// canalTruncates: a message that is not run as DDL goes down the DML path, where
// SingleDml.dml2SingleDmls turns data == null with type TRUNCATE into a TRUNCATE of the table.
func canalTruncates(w map[string]any) bool {
	return !canalRunsDDL(w) && w["data"] == nil && strings.EqualFold(w["type"].(string), "TRUNCATE")
}

func TestDDLCopyValidation(t *testing.T) {
	m := sampleDDL()
	m.MarkDDLCopy()
	m.SQL = "DROP TABLE orders"
	if err := m.Validate(); err == nil {
		t.Fatal("a copy whose ddlCopy differs from its sql must be rejected")
	}
	r := sampleRows()
	r.Ferry.DDLCopy = &DDLCopy{Type: TypeAlter, SQL: "x"}
	if err := r.Validate(); err == nil {
		t.Fatal("ddlCopy on a row message must be rejected")
	}
}

// TestCanalMySQLTypeWidths: integer types carry MariaDB's default display widths, as Canal's
// mysqlType does (read from SHOW CREATE TABLE on MariaDB).
func TestCanalMySQLTypeWidths(t *testing.T) {
	for _, tt := range []struct {
		base     string
		unsigned bool
		want     string
	}{
		{"tinyint", false, "tinyint(4)"}, {"tinyint", true, "tinyint(3) unsigned"},
		{"smallint", false, "smallint(6)"}, {"smallint", true, "smallint(5) unsigned"},
		{"mediumint", false, "mediumint(9)"}, {"mediumint", true, "mediumint(8) unsigned"},
		{"int", false, "int(11)"}, {"int", true, "int(10) unsigned"},
		{"bigint", false, "bigint(20)"}, {"bigint", true, "bigint(20) unsigned"},
		{"year", false, "year(4)"},
	} {
		got := IntegerType(tt.base, tt.unsigned)
		if got != tt.want {
			t.Errorf("IntegerType(%s, %v) = %q, want %q", tt.base, tt.unsigned, got, tt.want)
		}
		ct, err := ParseMySQLType(got)
		if err != nil || ct.String() != got || ct.Unsigned != tt.unsigned {
			t.Errorf("%q does not round-trip: %+v %v", got, ct, err)
		}
	}
}

// TestCanalSQLTypes: the java.sql.Types code per column, on the message bytes, against the codes
// Canal 1.1.7 sends for the same column (LogEventConvert), or Ferry's documented choice.
func TestCanalSQLTypes(t *testing.T) {
	canal := map[string]int{ // Canal's code for a non-NULL value within the signed range
		"bigint(20) unsigned": -5, "bigint(20)": -5, "int(11)": 4, "tinyint(4)": -6, "smallint(6)": 5,
		"mediumint(9)": 4, "mediumint(8) unsigned": 4,
		"binary(4)": 2004, "varbinary(16)": 2004, "blob": 2004, "longblob": 2004, "geometry": 2004,
		"text": 2005, "longtext": 2005, "json": 12, "year(4)": 12, "bit(3)": -7, "float": 7, "double": 8,
		"decimal(12,2)": 3, "char(3)": 1, "varchar(10)": 12, "date": 91, "time(2)": 92,
		"datetime(3)": 93, "timestamp": 93,
	}
	ferryOnly := map[string]int{ // documented differences: the code follows Ferry's value text
		"enum('a','b')":        1,  // Canal 4 with the index; Ferry sends the member name
		"set('a','b')":         1,  // Canal -7 with the bitmask; Ferry sends the member names
		"tinyint(3) unsigned":  5,  // Canal -6, raised to 5 per row for values >= 128
		"smallint(5) unsigned": 4,  // Canal 5, raised to 4 per row for values >= 32768
		"int(10) unsigned":     -5, // Canal 4, raised to -5 per row for values >= 2^31
	}
	for _, set := range []map[string]int{canal, ferryOnly} {
		for typ, want := range set {
			ct, err := ParseMySQLType(typ)
			if err != nil {
				t.Fatal(err)
			}
			m := sampleRows()
			m.SQLType = map[string]int{"id": JavaBigInt, "note": SQLTypeOf(ct)}
			m.MySQLType = map[string]string{"id": "bigint(20) unsigned", "note": typ}
			w := wire(t, m)
			if got := w["sqlType"].(map[string]any)["note"]; got != float64(want) {
				t.Errorf("%s: sqlType on the wire %v, want %d", typ, got, want)
			}
		}
	}
}

// TestFormatFloat: shortest round-trip text in positional notation, never an exponent, and it
// parses back to the same value.
func TestFormatFloat(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		bits int
		want string
	}{
		{1e10, 64, "10000000000"}, {1.5, 64, "1.5"}, {1e-7, 64, "0.0000001"}, {-0.25, 32, "-0.25"},
		{1234567, 64, "1234567"}, {0.1, 32, "0.1"}, {float64(float32(3.4028235e38)), 32, "340282350000000000000000000000000000000"},
	} {
		if got := FormatFloat(tt.v, tt.bits); got != tt.want {
			t.Errorf("FormatFloat(%g, %d) = %q, want %q", tt.v, tt.bits, got, tt.want)
		}
	}
	for _, v := range []float64{math.MaxFloat64, math.SmallestNonzeroFloat64, -1.7976931348623157e308, 123.456e-200} {
		s := FormatFloat(v, 64)
		if strings.ContainsAny(s, "eE") || len(s) > 330 {
			t.Errorf("FormatFloat(%g) = %q: exponent or too long", v, s)
		}
		if back, err := strconv.ParseFloat(s, 64); err != nil || back != v {
			t.Errorf("FormatFloat(%g) = %q reads back as %g, %v", v, s, back, err)
		}
	}
}

// TestDDLCopyDeepEqualAfterDecode: apart from the marker, a decoded copy equals the original.
func TestDDLCopyDeepEqualAfterDecode(t *testing.T) {
	orig := sampleDDL()
	cp := sampleDDL()
	cp.MarkDDLCopy()
	got, err := Decode(mustAppend(t, cp))
	if err != nil {
		t.Fatal(err)
	}
	got.Ferry.DDLCopy = nil
	want, _ := Decode(mustAppend(t, orig))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded copy %+v, want %+v", got, want)
	}
}
