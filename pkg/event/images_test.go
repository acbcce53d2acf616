package event

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

var imageCases = []string{
	`null`,
	`[]`,
	`[null]`,
	`[{}]`,
	`[{"id":"1","name":null},{"id":"2","name":"x"}]`,
	` [ { "id" : "1" , "n" : "a\"b\\c\/d\b\f\n\r\t" } ] `,
	`[{"k":"\u00e9\u4e2d\ud83d\ude00"}]`,
	`[{"k":"\ud800"},{"k":"\ud800\u0041"},{"k":"\udc00x"},{"k":"\ud83d\ud83d\ude00"}]`,
	`[{"dup":"1","dup":"2"}]`,
	`[{"bin":"\u0000\u00ff"}]`,
	`[{"k":1}]`,
	`[1]`,
	`{"k":"v"}`,
	`"s"`,
	`[{"k":["x"]}]`,
	`[{"k":true}]`,
	`[{"a":"1"} {"b":"2"}]`, `[{"a":"1",}]`, `[{"a":"1"},]`, `[{"a" "1"}]`, `[{"a":"1"}] x`, `nul`, `null x`,
	"[{\"a\":\"\x01\"}]", `[{"a":"\x"}]`, `[{"a":"\u12"}]`, `[{"a":"1"`, `[{"a":"1"}`,
}

// TestImagesMatchEncodingJSON checks parseImages against encoding/json on hand-picked inputs.
func TestImagesMatchEncodingJSON(t *testing.T) {
	for _, in := range imageCases {
		t.Run(in, func(t *testing.T) { compareImages(t, []byte(in)) })
	}
}

// FuzzImagesMatchEncodingJSON holds parseImages equal to encoding/json on every valid UTF-8
// input: same result when encoding/json accepts, an error when it rejects (parseImages sees
// the images as cut from the body, not checked by encoding/json first).
func FuzzImagesMatchEncodingJSON(f *testing.F) {
	for _, in := range imageCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !utf8.Valid(in) {
			return // Decode checks UTF-8 before parseImages runs
		}
		compareImages(t, in)
	})
}

func compareImages(t *testing.T, in []byte) {
	t.Helper()
	var want []map[string]*string
	wantErr := json.Unmarshal(in, &want)
	got, err := parseImages(in)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("parseImages(%q) error %v, encoding/json error %v", in, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("parseImages(%q) = %s, encoding/json = %s", in, show(got), show(want))
	}
}

func show(v []map[string]*string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func BenchmarkDecode(b *testing.B) {
	m := &Message{ID: 1, Database: "shop", Table: "orders", PKNames: []string{"id"}, Type: TypeInsert,
		Ferry: &Meta{Format: Format, Columns: []string{"id", "status", "amount", "note", "created_at"}}}
	for i := 0; i < 1000; i++ {
		m.Data = append(m.Data, map[string]*string{"id": Str("123456"), "status": Str("paid"), "amount": Str("12.30"),
			"note": nil, "created_at": Str("2026-11-23 19:00:00.123")})
		m.Ferry.Versions = append(m.Ferry.Versions, uint64(i+1))
	}
	body, err := Encode(m)
	if err != nil {
		b.Fatal(err)
	}
	ref := func() error { var x Message; return json.Unmarshal(body, &x) }
	start := time.Now()
	for i := 0; i < 20; i++ {
		if err := ref(); err != nil {
			b.Fatal(err)
		}
	}
	refDur := time.Since(start)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(body); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(refDur.Seconds()/20/per, "speedup_vs_encoding_json")
}

// decodeCases are message bodies whose envelope scan must agree with encoding/json.
var decodeCases = []string{
	`null`, ` null `, `nullx`, `{}`, ` { } `, `[]`, `"s"`, `1`, `{`, `{"a":1,}`, `{"a" 1}`, `{"a":1 "b":2}`,
	`{"id":1,"database":"d","data":[{"a":"1"}],"old":null}`,
	`{"DATA":[{"a":"1"}],"Old":[{"a":"2"}]}`,
	`{"d\u0061ta":[{"a":"1"}]}`,
	`{"data":[{"a":"1"}],"data":[{"b":"2"}]}`,
	`{"data":5,"data":[{"a":"1"}]}`, `{"data":[{"a":"1"}],"data":5}`, `{"old":[{"a":1}],"OLD":null}`,
	`{"data":[{"a":"1"} {"b":"2"}]}`,
	`{"data":[{"a":"1",}]}`,
	`{"data":[{"a":"1"},]}`,
	`{"data":[{"a":"x` + "\x01" + `"}]}`,
	`{"data":5}`, `{"data":{"a":"1"}}`, `{"data":[{"a":1}]}`, `{"data":[{"a":true}]}`, `{"data":[null]}`, `{"data":[]}`,
	`{"id":01}`, `{"id":1e}`, `{"id":-}`, `{"isDdl":tru}`, `{"id":"x","data":[{"a":"1"}]}`,
	`{"ferry":{"format":1,"columns":["a"],"versions":[1,2]},"pkNames":["a"],"sqlType":{"a":4}}`,
	`{"ferry":{"x":[[[[{"y":"\u00e9"}]]]]}}`,
	`{"data":[{"a":"1"}]} x`,
	`{"a":"\"","data":[{"k\"":"v\\"}]}`,
}

// TestDecodeMatchesEncodingJSON checks decodeFast against encoding/json on hand-picked bodies.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, in := range decodeCases {
		t.Run(in, func(t *testing.T) { compareDecode(t, []byte(in)) })
	}
}

// FuzzDecodeMatchesEncodingJSON holds decodeFast equal to encoding/json (with the last of
// duplicate image keys winning) on every valid UTF-8 input: the same message when encoding/json
// accepts the body, an error when it rejects it.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	for _, in := range append(decodeCases, imageCases...) {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !utf8.Valid(in) {
			return // Decode rejects invalid UTF-8 before decodeFast runs
		}
		compareDecode(t, in)
	})
}

// compareDecode decodes in with decodeFast and with encoding/json, the images through
// json.RawMessage so that the last of duplicate "data" keys wins, as in decodeFast.
func compareDecode(t *testing.T, in []byte) {
	t.Helper()
	var want Message
	aux := struct {
		*noImages
		Data json.RawMessage `json:"data"`
		Old  json.RawMessage `json:"old"`
	}{noImages: (*noImages)(&want)}
	wantErr := json.Unmarshal(in, &aux)
	for _, img := range []struct {
		raw json.RawMessage
		dst *[]map[string]*string
	}{{aux.Data, &want.Data}, {aux.Old, &want.Old}} {
		if wantErr == nil && img.raw != nil {
			wantErr = json.Unmarshal(img.raw, img.dst)
		}
	}
	var got Message
	keys, err := decodeFast(in, &got)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("decodeFast(%q) error %v, encoding/json error %v", in, err, wantErr)
	}
	if err != nil {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeFast(%q) = %+v, encoding/json = %+v", in, got, want)
	}
	for _, rows := range [][]map[string]*string{got.Data, got.Old} {
		for _, r := range rows {
			for k := range r {
				if _, ok := keys[k]; !ok {
					t.Fatalf("decodeFast(%q): column %q missing from the returned names", in, k)
				}
			}
		}
	}
}

// FuzzPlainRun holds the word-at-a-time scan to the byte-at-a-time one.
func FuzzPlainRun(f *testing.F) {
	for _, s := range []string{"", "abcdefgh", "abcdefg\"ijk", "0123456789abcdef\\", "2024-02-29 23:59:59", "a\x1fbcdefghij", "ab€cdefghij", "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := 0
		for want < len(s) && plain[s[want]] {
			want++
		}
		if got := plainRun(s); got != want {
			t.Fatalf("plainRun(%q) = %d, want %d", s, got, want)
		}
	})
}

// FuzzStrMatchesEncodingJSON holds the writer's string escaping to encoding/json's (HTML
// escaping off) for valid UTF-8.
func FuzzStrMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain ascii text", "0123456789abcdef\"q\\", "ctl \x00\x01\x1f", "\u2028 é 🎁 long enough"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		var std bytes.Buffer
		enc := json.NewEncoder(&std)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		w := &jw{}
		w.str(s)
		if want := bytes.TrimSuffix(std.Bytes(), []byte("\n")); !bytes.Equal(w.b, want) || w.err != nil {
			t.Fatalf("str(%q) = %s (%v), want %s", s, w.b, w.err, want)
		}
	})
}

// FuzzValueImageMatchesEncodingJSON holds a whole values image (valueImage writes plain strings
// inline and the rest through str) to encoding/json's object of the same members, NULLs
// included, for valid UTF-8; invalid UTF-8 must be an error.
func FuzzValueImageMatchesEncodingJSON(f *testing.F) {
	f.Add("plain", "needs \"escaping\"\n", true)
	f.Add("", "\u2028 é", false)
	f.Add("\xff", "x", true)
	f.Fuzz(func(t *testing.T, a, b string, null bool) {
		row := []*string{&a, &b, nil}
		if !null {
			row[2] = &a
		}
		w := &jw{}
		w.valueImage(row, w.colKeys([]string{"a", "b", "c"}))
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			if w.err == nil {
				t.Fatalf("valueImage(%q, %q) accepted invalid UTF-8", a, b)
			}
			return
		}
		var std bytes.Buffer
		enc := json.NewEncoder(&std)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			A string  `json:"a"`
			B string  `json:"b"`
			C *string `json:"c"`
		}{a, b, row[2]}); err != nil {
			t.Fatal(err)
		}
		if want := bytes.TrimSuffix(std.Bytes(), []byte("\n")); !bytes.Equal(w.b, want) || w.err != nil {
			t.Fatalf("valueImage = %s (%v), want %s", w.b, w.err, want)
		}
	})
}
