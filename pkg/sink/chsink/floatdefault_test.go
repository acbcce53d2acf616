package chsink

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/sink/sinktest"
)

// TestAddColumnFloatDefaultExact: the rows a copy table has when a FLOAT or DOUBLE column with a
// DEFAULT is added must hold the bits MariaDB stores for that default (the decimal rounded to a
// double, then to a float). Found by internal/difftest: ADD COLUMN a3 FLOAT NOT NULL DEFAULT
// 9.32327e+07 gave existing rows 93232696 on 18.16, where the source has 93232704.
func TestAddColumnFloatDefaultExact(t *testing.T) {
	s, copyDB, _ := openTestSink(t)
	ctx := context.Background()
	create := &sink.DDL{Database: "shop", Kind: "CREATE", Version: 1, Position: "mysql-bin.000001:1", SQL: "CREATE TABLE fd (id INT PRIMARY KEY)"}
	if err := s.ApplyDDL(ctx, create); err != nil {
		t.Fatalf("create: %v", err)
	}
	tbl := &sink.Table{Database: "shop", Name: "fd", PK: []string{"id"}, Columns: []sink.Column{{Name: "id", MySQLType: "int(11)"}}}
	if err := s.Apply(ctx, &sink.Batch{Rows: []sink.Row{sinktest.Row(tbl, sink.OpInsert, 1, map[string]string{"id": "1"})}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	vals := []string{"9.32327e+07", "0", "-1.5", "0.1", "-3.40282e+38", "1.17549e-38", "1e+20", "2.2250738585072014e-308", "1.7976931348623157e+308"}
	r := rand.New(rand.NewPCG(7, 11))
	for len(vals) < 60 {
		vals = append(vals, fmt.Sprintf("%.5e", (r.Float64()-0.5)*1e6*float64(r.IntN(1000)+1)))
	}
	type check struct{ col, value, want string } // want: the column's bits in hex, little-endian
	var adds []string
	var checks []check
	for i, v := range vals {
		f, _ := strconv.ParseFloat(v, 64)
		if math.Abs(f) <= math.MaxFloat32 {
			adds = append(adds, fmt.Sprintf("ADD COLUMN f%d FLOAT NOT NULL DEFAULT %s", i, v))
			checks = append(checks, check{fmt.Sprintf("f%d", i), v, fmt.Sprintf("%X", binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(f))))})
		}
		adds = append(adds, fmt.Sprintf("ADD COLUMN d%d DOUBLE NOT NULL DEFAULT %s", i, v))
		checks = append(checks, check{fmt.Sprintf("d%d", i), v, fmt.Sprintf("%X", binary.LittleEndian.AppendUint64(nil, math.Float64bits(f)))})
	}
	alter := &sink.DDL{Database: "shop", Kind: "ALTER", Version: 2, Position: "mysql-bin.000001:2", SQL: "ALTER TABLE fd " + strings.Join(adds, ", ")}
	if err := s.ApplyDDL(ctx, alter); err != nil {
		t.Fatalf("alter: %v", err)
	}
	for _, c := range checks {
		t.Run(c.col+"="+c.value, func(t *testing.T) {
			var got string
			q := fmt.Sprintf("SELECT hex(reinterpretAsString(%s)) FROM %s.fd WHERE id = 1 LIMIT 1", quote(c.col), quote(copyDB))
			if err := s.conn.QueryRow(ctx, q).Scan(&got); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			got += strings.Repeat("0", len(c.want)-len(got)) // reinterpretAsString drops trailing zero bytes
			if got != c.want {
				t.Errorf("existing row's %s (DEFAULT %s) has bits %s, want %s (as MariaDB stores it)", c.col, c.value, got, c.want)
			}
		})
	}
}
