package event

import (
	"bytes"
	"reflect"
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
