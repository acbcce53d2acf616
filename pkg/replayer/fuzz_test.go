package replayer

import (
	"bytes"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// FuzzToRows decodes arbitrary bodies as the replayer does; every message DecodeColumnsShared
// accepts converts into rows with one value per column (Decode's values), or an error - never a
// panic.
func FuzzToRows(f *testing.F) {
	f.Add([]byte(`{"id":1,"database":"shop","table":"t","pkNames":["id"],"isDdl":false,"type":"INSERT","es":1,"ts":1,"sql":"",` +
		`"mysqlType":{"id":"int(11)","v":"varchar(3)"},"data":[{"id":"1","v":null}],"ferry":{"format":1,"epoch":0,"versions":[5],"file":"b.000001","pos":4,"serverId":1,"columns":["id","v"]}}`))
	f.Add([]byte(`{"id":1,"database":"shop","table":"t","pkNames":["id"],"isDdl":false,"type":"DELETE","data":[{"id":"1"}],"ferry":{"format":1,"versions":[5],"columns":["id","v"]}}`))
	f.Add([]byte(`{}`))
	tables := newTableCache()
	f.Fuzz(func(t *testing.T, body []byte) {
		m, vals, err := event.DecodeColumnsShared(bytes.Clone(body), event.NewSchemaCache())
		if err != nil || m.IsDDL {
			return
		}
		rows, _, err := tables.toRows(m, vals)
		if err != nil {
			return
		}
		want, err := event.Decode(body)
		if err != nil {
			t.Fatalf("DecodeColumnsShared accepted what Decode refuses: %v", err)
		}
		for i, r := range rows {
			if len(r.Values) != len(r.Table.Columns) {
				t.Fatalf("row with %d values for %d columns", len(r.Values), len(r.Table.Columns))
			}
			for j, c := range r.Table.Columns {
				if g, w := r.Values[j], want.Data[i][c.Name]; (g == nil) != (w == nil) || (g != nil && *g != *w) {
					t.Fatalf("row %d column %s: %v, Decode %v", i, c.Name, g, w)
				}
			}
		}
	})
}
