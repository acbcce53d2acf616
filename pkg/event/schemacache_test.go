package event

import (
	"bytes"
	"reflect"
	"strconv"
	"testing"
)

// FuzzDecodeCachedMatchesDecode holds DecodeCached and DecodeCachedShared equal to Decode, on a cache miss and on a
// hit (the second call), for every input: same error-ness, same message.
func FuzzDecodeCachedMatchesDecode(f *testing.F) {
	for _, in := range append(decodeCases, imageCases...) {
		f.Add([]byte(in))
	}
	f.Add([]byte(`{"mysqlType":{"a":"int"},"MYSQLTYPE":{"b":"int"},"ferry":{}}`))
	f.Add([]byte(`{"pkNames":null,"sqlType":{"a":4},"mysqlType":{"a":"int"}}`))
	for _, in := range append(columnsCases, envelopeCases...) {
		f.Add([]byte(in))
	}
	c := NewSchemaCache()
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantErr := Decode(in)
		for round := range 2 {
			got, err := DecodeCached(in, c)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("round %d: DecodeCached error %v, Decode error %v", round, err, wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d: DecodeCached = %+v, Decode = %+v", round, got, want)
			}
			shared, err := DecodeCachedShared(bytes.Clone(in), c)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("round %d: DecodeCachedShared error %v, Decode error %v", round, err, wantErr)
			}
			if err == nil && !reflect.DeepEqual(shared, want) {
				t.Fatalf("round %d: DecodeCachedShared = %+v, Decode = %+v", round, shared, want)
			}
		}
	})
}

// TestDecodeCachedSharesSchema checks that two messages with the same schema text share one
// parsed schema (the point of the cache) while their rows stay their own.
func TestDecodeCachedSharesSchema(t *testing.T) {
	c := NewSchemaCache()
	var msgs []*Message
	for _, id := range []string{"1", "2"} {
		in := `{"id":` + id + `,"database":"d","table":"t","pkNames":["id"],"isDdl":false,"type":"INSERT","es":1,"ts":1,` +
			`"sqlType":{"id":4},"mysqlType":{"id":"int(11)"},"data":[{"id":"` + id + `"}],"old":null,` +
			`"ferry":{"format":1,"epoch":0,"versions":[` + id + `],"file":"f","pos":4,"serverId":1,"columns":["id"]}}`
		m, err := DecodeCached([]byte(in), c)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	if reflect.ValueOf(msgs[0].MySQLType).Pointer() != reflect.ValueOf(msgs[1].MySQLType).Pointer() {
		t.Fatal("mysqlType parsed twice for the same schema text")
	}
	if *msgs[0].Data[0]["id"] != "1" || *msgs[1].Data[0]["id"] != "2" {
		t.Fatalf("rows mixed up: %v %v", *msgs[0].Data[0]["id"], *msgs[1].Data[0]["id"])
	}
}

// FuzzDecodeColumnsMatchesDecode holds DecodeColumnsShared equal to Decode for every input: it
// fails where Decode fails or an image lacks a column of ferry.columns, and otherwise returns
// Decode's message without Data and Decode's images as values in ferry.columns order.
func FuzzDecodeColumnsMatchesDecode(f *testing.F) {
	for _, in := range append(append(decodeCases, imageCases...), columnsCases...) {
		f.Add([]byte(in))
	}
	c := NewSchemaCache()
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantErr := Decode(in)
		got, rows, err := DecodeColumnsShared(bytes.Clone(in), c)
		full := wantErr == nil && hasAllColumns(want)
		if (err == nil) != full {
			t.Fatalf("DecodeColumnsShared error %v; Decode error %v, every column in every image %v", err, wantErr, full)
		}
		if err != nil {
			return
		}
		wantRows := want.Data
		want.Data = nil
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeColumnsShared message %+v, Decode %+v", got, want)
		}
		if len(rows) != len(wantRows) {
			t.Fatalf("%d rows, Decode %d", len(rows), len(wantRows))
		}
		for i, img := range wantRows {
			for j, col := range want.Ferry.Columns {
				if g, w := rows[i][j], img[col]; (g == nil) != (w == nil) || (g != nil && *g != *w) {
					t.Fatalf("row %d column %s: %v, Decode %v", i, col, g, w)
				}
			}
		}
	})
}

// hasAllColumns reports whether every data image of m has every column of ferry.columns.
func hasAllColumns(m *Message) bool {
	for _, img := range m.Data {
		for _, col := range m.Ferry.Columns {
			if _, ok := img[col]; !ok {
				return false
			}
		}
	}
	return true
}

// columnsCases are bodies for DecodeColumnsShared: the dense path, and each way out of it.
var columnsCases = func() []string {
	head := `{"id":1,"database":"d","table":"t","pkNames":["id"],"isDdl":false,"type":"INSERT","es":1,"ts":1,` +
		`"sqlType":{"id":4,"v":12},"mysqlType":{"id":"int(11)","v":"varchar(9)"},"data":`
	tail := `,"old":null,"ferry":{"format":1,"epoch":0,"versions":[1,2],"file":"f","pos":4,"serverId":1,"columns":["id","v"]}}`
	var out []string
	for _, data := range []string{
		`[{"id":"1","v":"a"},{"id":"2","v":null}]`,        // dense
		`[{"v":"a","id":"1"},{"v":null,"id":"2"}]`,        // another key order
		`[{"id":"1","v":"a"},{"v":null,"id":"2"}]`,        // key order differs between rows
		`[{"id":"1","v":"a"},{"id":"2"}]`,                 // a column missing
		`[{"id":"1","v":"a","v":"b"},{"id":"2","v":"c"}]`, // a duplicate key
		`[{"id":"1","v":"a"},null]`,                       // a null row
		`[{"id":"1","v":"a"},{"id":null,"v":"b"}]`,        // a null key
		`[{"id":"1","v":"a\u00e9\"x"},{"id":"2","v":""}]`, // escapes
		`[{"id":"1","v":"a"},{"id":"2","v":"b","w":"c"}]`, // a column too many
		`[]`, `null`, `[{"id":"1","v":"a"},{"id":"2","v":1}]`,
	} {
		out = append(out, head+data+tail)
	}
	return out
}()

// TestDecodeColumnsDensePath checks which bodies take the path without maps: only images that
// all repeat ferry.columns as their keys, in order (case 6 has a null key: an error).
func TestDecodeColumnsDensePath(t *testing.T) {
	for i, want := range []bool{true, false, false, false, false, false, false, true, false, false, false, false} {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			m, err := decodeBody(columnsCases[i], NewSchemaCache(), true)
			if got := err == nil && m.cols != nil; got != want {
				t.Fatalf("dense %v (error %v), want %v", got, err, want)
			}
		})
	}
}

// envelopeCases are bodies around fastEnvelope's edges: what it takes and what it leaves to
// encoding/json.
var envelopeCases = func() []string {
	msg := func(id, ferry string) string {
		return `{"id":` + id + `,"database":"d","table":"t","pkNames":["id"],"isDdl":false,"type":"INSERT","es":1,"ts":2,` +
			`"sql":"","sqlType":{"id":4},"mysqlType":{"id":"int(11)"},"data":[{"id":"1"}],"old":null,"gtid":"0-1-2",` +
			`"ferry":` + ferry + `}`
	}
	ferry := `{"format":1,"epoch":3,"versions":[7],"file":"f.000001","pos":4,"gtid":"0-1-2","serverId":1,"snapshot":true,"columns":["id"]}`
	var out []string
	for _, id := range []string{"1", "-0", "01", "1.0", "1e2", "-9223372036854775808", "9223372036854775808", "null", `"1"`} {
		out = append(out, msg(id, ferry))
	}
	for _, f := range []string{
		`{"format":1,"epoch":256,"versions":[7],"file":"f","pos":4,"serverId":1,"columns":["id"]}`,
		`{"format":1,"epoch":0,"versions":[-7],"file":"f","pos":4,"serverId":4294967296,"columns":["id"]}`,
		`{"format":1,"epoch":0,"versions":[7],"file":"f","pos":4,"serverId":1,"columns":["id"],"format":1}`,
		`{"Format":1,"epoch":0,"versions":[7],"file":"f","pos":4,"serverId":1,"columns":["id"]}`,
		`{"format":1,"epoch":0,"versions":[7],"file":"f\u0031","pos":4,"serverId":1,"columns":["i\u0064"]}`,
		`{"format":1,"epoch":0,"versions":[7],"file":null,"pos":4,"serverId":1,"columns":["id"]}`,
		`{"format":1,"epoch":0,"versions":[7],"file":"f","pos":4,"serverId":1,"columns":["id"],"extra":1}`,
		` { "format" : 1 , "epoch" : 0 , "versions" : [ 7 ] , "file" : "f" , "pos" : 4 , "serverId" : 1 , "columns" : [ "id" ] } `,
		`null`, `[]`,
	} {
		out = append(out, msg("1", f))
	}
	return out
}()

// TestFastEnvelopeTakes checks which envelopeCases fastEnvelope decodes itself (the rest go to
// encoding/json; FuzzDecodeCachedMatchesDecode holds both ways equal).
func TestFastEnvelopeTakes(t *testing.T) {
	// id variants: 1, -0, 01, 1.0, 1e2, min int64, past int64, null, "1"; then the ferry variants.
	want := []bool{true, true, false, false, false, true, false, false, false,
		false, false, false, false, true, false, false, true, false, false}
	for i, in := range envelopeCases {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			split := &schemaSplit{}
			p := &imageParser{s: in, keys: map[string]string{}, split: split}
			rest, _, err := p.envelope()
			if err != nil {
				t.Fatal(err)
			}
			if split.dup {
				t.Fatal("envelope saw a duplicate schema member")
			}
			var m Message
			if got := fastEnvelope(rest, &m); got != want[i] {
				t.Fatalf("fastEnvelope took it: %v, want %v (%s)", got, want[i], rest)
			}
		})
	}
}
