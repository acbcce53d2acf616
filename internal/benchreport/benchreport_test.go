package benchreport

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/ferry-cdc/ferry/pkg/canal
BenchmarkCatchUp-2   	       1	2400000000 ns/op	         0.61 ratio	    250000 rows/s	  48.0 rss_MB
PASS
pkg: github.com/ferry-cdc/ferry/pkg/sink
BenchmarkApply/mysql-2 	       3	 100 ns/op	0.35 ratio
not a benchmark line
BenchmarkBroken-2 x 1 ns/op
ok  	github.com/ferry-cdc/ferry/pkg/sink	3.1s
`

func TestParse(t *testing.T) {
	res, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, pkg, unit string
		want            float64
	}{
		{"BenchmarkCatchUp-2", "github.com/ferry-cdc/ferry/pkg/canal", "ratio", 0.61},
		{"BenchmarkCatchUp-2", "github.com/ferry-cdc/ferry/pkg/canal", "rss_MB", 48},
		{"BenchmarkApply/mysql-2", "github.com/ferry-cdc/ferry/pkg/sink", "ratio", 0.35},
	}
	if len(res) != 2 {
		t.Fatalf("parsed %d results, want 2: %+v", len(res), res)
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.unit, func(t *testing.T) {
			for _, r := range res {
				if r.Name == tt.name {
					if r.Package != tt.pkg || r.Metrics[tt.unit] != tt.want {
						t.Fatalf("got %+v", r)
					}
					return
				}
			}
			t.Fatalf("%s not parsed", tt.name)
		})
	}
	md := Markdown(res)
	if !strings.Contains(md, "| pkg/canal | BenchmarkCatchUp-2 | 2.4e+09 ns/op, 0.61 ratio, 2.5e+05 rows/s, 48 rss_MB |") {
		t.Fatalf("unexpected markdown:\n%s", md)
	}
}
