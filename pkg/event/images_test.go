package event

import (
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
}

// TestImagesMatchEncodingJSON checks parseImages against encoding/json on hand-picked inputs.
func TestImagesMatchEncodingJSON(t *testing.T) {
	for _, in := range imageCases {
		t.Run(in, func(t *testing.T) { compareImages(t, []byte(in)) })
	}
}

// FuzzImagesMatchEncodingJSON holds parseImages equal to encoding/json on every valid JSON input:
// same result when encoding/json accepts, an error when it rejects.
func FuzzImagesMatchEncodingJSON(f *testing.F) {
	for _, in := range imageCases {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !json.Valid(in) || !utf8.Valid(in) {
			return // Decode checks UTF-8 and encoding/json validity before parseImages runs
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
