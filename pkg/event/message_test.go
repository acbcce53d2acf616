package event

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleRows() *Message {
	return &Message{
		ID: 1, Database: "shop", Table: "orders", PKNames: []string{"id"}, Type: TypeInsert,
		ES: 1000, TS: 1001,
		SQLType:   map[string]int{"id": JavaDecimal, "note": JavaVarchar},
		MySQLType: map[string]string{"id": "bigint(20) unsigned", "note": "varchar(10)"},
		Data: []map[string]*string{
			{"id": Str("1"), "note": Str("a<b>&\u00e9 🎁")},
			{"id": Str("18446744073709551615"), "note": nil},
		},
		Ferry: &Meta{Format: 1, Versions: []uint64{10, 11}, File: "mysql-bin.000001", Pos: 10, ServerID: 1,
			GTID: "0-1-5", Columns: []string{"id", "note"}},
	}
}

func sampleDDL() *Message {
	return &Message{Database: "shop", Table: "orders", IsDDL: true, Type: TypeAlter,
		SQL: "ALTER TABLE orders ADD c INT", Ferry: &Meta{Format: 1, Versions: []uint64{7}, Pos: 7}}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for name, m := range map[string]*Message{"rows": sampleRows(), "ddl": sampleDDL()} {
		t.Run(name, func(t *testing.T) {
			b, err := Encode(m)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("decode %s: %v", b, err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, m)
			}
			if strings.Contains(string(b), `\u003c`) {
				t.Errorf("HTML escaped: %s", b)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *Message)
		want   string
	}{
		{"no ferry", func(m *Message) { m.Ferry = nil }, "missing \"ferry\""},
		{"format", func(m *Message) { m.Ferry.Format = 2 }, "ferry.format"},
		{"no database", func(m *Message) { m.Database = "" }, "missing database"},
		{"unknown type", func(m *Message) { m.Type = "UPSERT" }, "unknown row type"},
		{"ddl type on rows", func(m *Message) { m.Type = TypeAlter }, "unknown row type"},
		{"no table", func(m *Message) { m.Table = "" }, "without table"},
		{"no data", func(m *Message) { m.Data = nil; m.Ferry.Versions = nil }, "without data"},
		{"versions count", func(m *Message) { m.Ferry.Versions = []uint64{1} }, "1 versions for 2 rows"},
		{"versions order", func(m *Message) { m.Ferry.Versions = []uint64{11, 10} }, "not increasing"},
		{"versions equal", func(m *Message) { m.Ferry.Versions = []uint64{11, 11} }, "not increasing"},
		{"no columns", func(m *Message) { m.Ferry.Columns = nil }, "missing ferry.columns"},
		{"dup column", func(m *Message) { m.Ferry.Columns = []string{"id", "id"} }, "duplicate column"},
		{"pk not column", func(m *Message) { m.PKNames = []string{"x"} }, "pkNames entry \"x\""},
		{"unknown data key", func(m *Message) { m.Data[0]["x"] = Str("1") }, "column \"x\" that is not"},
		{"null pk", func(m *Message) { m.Data[1]["id"] = nil }, "primary key column \"id\" is null"},
		{"missing pk", func(m *Message) { delete(m.Data[1], "id") }, "primary key column \"id\" is null"},
		{"null row", func(m *Message) { m.Data[1] = nil }, "data[1] is null"},
		{"old on insert", func(m *Message) { m.Old = []map[string]*string{{}, {}} }, "old must be"},
		{"bad utf8", func(m *Message) { m.Data[0]["note"] = Str("\xff") }, "not valid UTF-8"},
		{"sqlType key", func(m *Message) { m.SQLType["x"] = 1 }, "sqlType has column"},
		{"mysqlType key", func(m *Message) { m.MySQLType["x"] = "int" }, "mysqlType has column"},
		{"negative id", func(m *Message) { m.ID = -1 }, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleRows()
			tt.mutate(m)
			err := m.Validate()
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want ErrMalformed containing %q", err, tt.want)
			}
			if _, err := Encode(m); err == nil {
				t.Fatal("Encode accepted an invalid message")
			}
		})
	}
}

func TestValidateDDLRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *Message)
		want   string
	}{
		{"row type", func(m *Message) { m.Type = TypeInsert }, "unknown DDL type"},
		{"no sql", func(m *Message) { m.SQL = "" }, "without sql"},
		{"data", func(m *Message) { m.Data = []map[string]*string{{}} }, "with data rows"},
		{"two versions", func(m *Message) { m.Ferry.Versions = []uint64{1, 2} }, "exactly one version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleDDL()
			tt.mutate(m)
			if err := m.Validate(); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSnapshotVersionsMayRepeat(t *testing.T) {
	m := sampleRows()
	m.Ferry.Snapshot = true
	m.Ferry.Versions = []uint64{9, 9}
	if err := m.Validate(); err != nil {
		t.Fatalf("snapshot rows with one version: %v", err)
	}
	m.Ferry.Versions = []uint64{9, 8}
	if err := m.Validate(); err == nil {
		t.Fatal("decreasing snapshot versions accepted")
	}
}

// TestDecodeRejectsForeignColumns: Decode checks image column names once per message (not per
// row, as Validate does); a name outside ferry.columns in any row of data or old is still refused.
func TestDecodeRejectsForeignColumns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(m *Message)
	}{
		{"data, last row", func(m *Message) { m.Data[1]["x"] = Str("1") }},
		{"old", func(m *Message) { m.Old[0]["x"] = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sampleRows()
			m.Type, m.Old = TypeUpdate, []map[string]*string{{"note": Str("was")}, {"note": nil}}
			if _, err := Decode(mustMarshal(t, m)); err != nil {
				t.Fatalf("unmutated UPDATE: %v", err)
			}
			tc.mutate(m)
			if _, err := Decode(mustMarshal(t, m)); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), `column "x"`) {
				t.Fatalf("Decode = %v, want ErrMalformed naming column \"x\"", err)
			}
		})
	}
}

// mustMarshal encodes m with encoding/json, which does not validate on the way out.
func mustMarshal(t *testing.T, m *Message) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for name, in := range map[string]string{
		"empty": "", "null": "null", "array": "[]", "string": `"x"`, "bad utf8": "{\"database\":\"\xff\"}",
		"wrong field type": `{"id":"1"}`, "version overflow": `{"ferry":{"versions":[18446744073709551616]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode([]byte(in)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode(%q) = %v, want ErrMalformed", in, err)
			}
		})
	}
}

func TestRowKey(t *testing.T) {
	m := sampleRows()
	if got := m.RowKey(1); got != "18446744073709551615" {
		t.Errorf("single pk RowKey = %q", got)
	}
	m.PKNames = []string{"id", "note"}
	m.Data[1]["note"] = Str("x")
	a := m.RowKey(1)
	m.Data[1]["id"], m.Data[1]["note"] = Str("18446744073709551615x"), Str("")
	if b := m.RowKey(1); a == b {
		t.Errorf("composite keys collide: %q", a)
	}
	m.PKNames = nil
	m.Data[0]["note"] = nil
	if got := m.RowKey(0); got != "1:1~" {
		t.Errorf("all-columns RowKey = %q, want 1:1~", got)
	}
	if m.RowKey(5) != "" || sampleDDL().RowKey(0) != "" {
		t.Error("RowKey out of range or DDL not empty")
	}
}

// TestExamples decodes every example in schemas/examples and checks the version encoding and
// the PK-change split the examples document.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../../schemas/examples/*.json")
	if err != nil || len(files) < 6 {
		t.Fatalf("examples: %v (found %d)", err, len(files))
	}
	got := map[string]*Message{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		got[name] = m
		idx, _ := FileIndex(m.Ferry.File)
		row := 0
		if name == "update-pk-change-insert" {
			row = 1 // the INSERT half of a key change is the pair's second row index
		}
		if v, _ := Version(m.Ferry.Epoch, idx, m.Ferry.Pos, row); !m.Ferry.Snapshot && m.Ferry.Versions[0] != v {
			t.Errorf("%s: first version %d, want %d", name, m.Ferry.Versions[0], v)
		}
	}
	for _, want := range []string{"insert", "update", "update-pk-change-delete", "update-pk-change-insert", "delete", "ddl", "snapshot"} {
		if got[want] == nil {
			t.Errorf("example %s.json missing", want)
		}
	}
	d, i := got["update-pk-change-delete"], got["update-pk-change-insert"]
	if d != nil && i != nil && (d.Ferry.Versions[0]+1 != i.Ferry.Versions[0] || d.RowKey(0) == i.RowKey(0)) {
		t.Error("PK-change split: the INSERT half must have the DELETE half's version + 1 and another key")
	}
}

// TestSchemaMatchesStruct checks that the JSON Schema names exactly the struct's JSON fields.
func TestSchemaMatchesStruct(t *testing.T) {
	b, err := os.ReadFile("../../schemas/change-event.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       struct {
			Meta struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"meta"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	check := func(typ reflect.Type, props map[string]json.RawMessage) {
		fields := 0
		for i := 0; i < typ.NumField(); i++ {
			if !typ.Field(i).IsExported() { // not encoded
				continue
			}
			fields++
			tag := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
			if _, ok := props[tag]; !ok {
				t.Errorf("schema lacks %s.%s", typ.Name(), tag)
			}
		}
		if len(props) != fields {
			t.Errorf("schema has %d properties for %s, struct has %d", len(props), typ.Name(), fields)
		}
	}
	check(reflect.TypeOf(Message{}), s.Properties)
	check(reflect.TypeOf(Meta{}), s.Defs.Meta.Properties)
}

func FuzzDecode(f *testing.F) {
	for _, m := range []*Message{sampleRows(), sampleDDL()} {
		b, _ := Encode(m)
		f.Add(b)
	}
	files, _ := filepath.Glob("../../schemas/examples/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"ferry":{"format":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		for i := range m.Data {
			_ = m.RowKey(i)
		}
		out, err := Encode(m)
		if err != nil {
			t.Fatalf("valid message does not re-encode: %v", err)
		}
		m2, err := Decode(out)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("re-decode differs: %v", err)
		}
	})
}

// TestAppendJSONMatchesEncodingJSON: the hand-written encoder and encoding/json produce JSON
// that decodes to the same message, for the samples and every example.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	msgs := []*Message{sampleRows(), sampleDDL()}
	odd := sampleRows()
	odd.Data[0]["note"] = Str("ctl \x00\x01\x1f \"q\" \\ \u2028 \u2029 <&> é 🎁 " + EncodeBytes([]byte{0, 0x80, 0xff}))
	odd.Ferry.Snapshot, odd.Ferry.GTID = true, ""
	odd.Old = nil
	msgs = append(msgs, odd)
	files, _ := filepath.Glob("../../schemas/examples/*.json")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		m, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	for i, m := range msgs {
		fast, err := AppendJSON(nil, m)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		std, _ := json.Marshal(m)
		if m.Ferry.DDLCopy != nil { // the copy's wire form differs by design; both decode alike
			a, aerr := Decode(fast)
			b, berr := Decode(std)
			if aerr != nil || berr != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("DDL copy %d: %v %v\nfast %s\nstd  %s", i, aerr, berr, fast, std)
			}
			continue
		}
		var a, b any
		if err := json.Unmarshal(fast, &a); err != nil {
			t.Fatalf("message %d: AppendJSON output is not JSON: %v\n%s", i, err, fast)
		}
		json.Unmarshal(std, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("message %d differs:\nfast %s\nstd  %s", i, fast, std)
		}
	}
	bad := sampleRows()
	bad.Data[0]["note"] = Str("\xff")
	if _, err := AppendJSON(nil, bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("invalid UTF-8: err = %v", err)
	}
}

// BenchmarkEncode encodes a 1000-row message with AppendJSON and, as the baseline in the same
// run, with encoding/json; it reports the speed-up and AppendJSON's ns per row.
func BenchmarkEncode(b *testing.B) {
	m := sampleRows()
	for i := 0; i < 998; i++ {
		m.Data = append(m.Data, m.Data[0])
		m.Ferry.Versions = append(m.Ferry.Versions, uint64(12+i))
	}
	var fast, std time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := AppendJSON(nil, m); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := json.Marshal(m); err != nil {
			b.Fatal(err)
		}
		fast, std = fast+t1.Sub(t0), std+time.Since(t1)
	}
	b.ReportMetric(float64(std)/float64(fast), "speedup_vs_encoding_json")
	b.ReportMetric(float64(fast.Nanoseconds())/float64(b.N*len(m.Data)), "ns/row")
}
