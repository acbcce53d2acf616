package benchreport

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestParseLagCSV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr bool
	}{
		{"samples", "sink,t_s,lag_ms\nmysql,0.5,12.5\nclickhouse,0.5,900\n", 2, false},
		{"header only", "sink,t_s,lag_ms\n", 0, false},
		{"no header", "mysql,0.5,12.5\n", 0, true},
		{"bad number", "sink,t_s,lag_ms\nmysql,x,1\n", 0, true},
		{"short line", "sink,t_s,lag_ms\nmysql,1\n", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLagCSV(strings.NewReader(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if len(got) != tc.want {
				t.Fatalf("got %d samples, want %d", len(got), tc.want)
			}
		})
	}
}

// svgDoc is the part of the chart the test inspects.
type svgDoc struct {
	Polylines []struct {
		Stroke string `xml:"stroke,attr"`
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Texts []string `xml:"text"`
}

func TestLagChartSVG(t *testing.T) {
	samples := []LagSample{
		{"mysql", 2, 40}, {"mysql", 0, 10}, {"mysql", 1, 20},
		{"clickhouse", 0, 900}, {"clickhouse", 1, 1200},
	}
	out := LagChartSVG(samples, "lag <test> & more")
	var doc svgDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, out)
	}
	if len(doc.Polylines) != 2 {
		t.Fatalf("%d polylines, want one per series", len(doc.Polylines))
	}
	// Series are sorted by name: clickhouse first.
	if n := len(strings.Fields(doc.Polylines[0].Points)); n != 2 {
		t.Errorf("clickhouse line has %d points, want 2", n)
	}
	mysql := strings.Fields(doc.Polylines[1].Points)
	if len(mysql) != 3 {
		t.Fatalf("mysql line has %d points, want 3", len(mysql))
	}
	// Points go in time order: x grows; the higher lag sits higher (smaller y).
	if mysql[0] >= mysql[2] || !strings.HasPrefix(mysql[0], "70.0,") {
		t.Errorf("mysql points not in time order from the left axis: %v", mysql)
	}
	joined := strings.Join(doc.Texts, "|")
	for _, want := range []string{"lag <test> & more", "mysql (3 probes)", "clickhouse (2 probes)", "1200"} {
		if !strings.Contains(joined, want) {
			t.Errorf("chart text lacks %q: %s", want, joined)
		}
	}
}

func TestNiceStep(t *testing.T) {
	tests := []struct {
		max  float64
		n    int
		want float64
	}{
		{60, 10, 10}, {15, 10, 2}, {1200, 6, 200}, {3.3, 6, 1}, {95, 6, 20},
	}
	for _, tc := range tests {
		if got := niceStep(tc.max, tc.n); got != tc.want {
			t.Errorf("niceStep(%v, %d) = %v, want %v", tc.max, tc.n, got, tc.want)
		}
	}
}
