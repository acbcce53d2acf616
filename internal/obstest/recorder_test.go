package obstest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestRecorderDescribesEveryKind(t *testing.T) {
	rec := NewRecorder()
	wrapped := prometheus.WrapRegistererWith(prometheus.Labels{"sink": "mysql"}, rec)
	rec.MustRegister(
		prometheus.NewCounter(prometheus.CounterOpts{Name: "t_plain_total", Help: "h"}),
		prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t_vec_total", Help: "h \"quoted\" {braces}"}, []string{"table", "op"}),
		prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "t_gauge", Help: "h"}, []string{"queue"}),
		prometheus.NewHistogram(prometheus.HistogramOpts{Name: "t_hist_seconds", Help: "h"}),
		prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "t_histvec_seconds", Help: "h"}, []string{"sink"}),
		prometheus.NewSummary(prometheus.SummaryOpts{Name: "t_summary_seconds", Help: "h"}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "t_func", Help: "h"}, func() float64 { return 1 }),
	)
	wrapped.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "t_wrapped", Help: "h"}))
	got := rec.Metrics()
	tests := []struct {
		name, typ string
		labels    []string
	}{
		{"t_plain_total", "counter", nil},
		{"t_vec_total", "counter", []string{"op", "table"}},
		{"t_gauge", "gauge", []string{"queue"}},
		{"t_hist_seconds", "histogram", nil},
		{"t_histvec_seconds", "histogram", []string{"sink"}},
		{"t_summary_seconds", "summary", nil},
		{"t_func", "gauge", nil},
		{"t_wrapped", "gauge", []string{"sink"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := got[tt.name]
			if !ok {
				t.Fatalf("not recorded; have %v", sortedKeys(got))
			}
			if m.Type != tt.typ || !slices.Equal(m.Labels, tt.labels) {
				t.Fatalf("recorded %s %v, want %s %v", m.Type, m.Labels, tt.typ, tt.labels)
			}
		})
	}
	if len(got) != len(tests) {
		t.Fatalf("recorded %d metrics, want %d", len(got), len(tests))
	}
}

func TestParseCatalog(t *testing.T) {
	tests := []struct {
		name, md string
		want     map[string]Metric
		wantErr  bool
	}{
		{"two sections", "## tailer\n| Metric | Type | Labels | Meaning |\n|---|---|---|---|\n" +
			"| `ferry_a_total` | counter | `table`, `op` | A. |\n## replayer\n| `ferry_b` | gauge | - | B. |\n",
			map[string]Metric{
				"ferry_a_total": {Name: "ferry_a_total", Type: "counter", Labels: []string{"op", "table"}, Component: "tailer", Meaning: "A."},
				"ferry_b":       {Name: "ferry_b", Type: "gauge", Component: "replayer", Meaning: "B."},
			}, false},
		{"duplicate", "| `ferry_a` | gauge | - | x |\n| `ferry_a` | gauge | - | y |\n", nil, true},
		{"bad type", "| `ferry_a` | meter | - | x |\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "m.md")
			if err := os.WriteFile(p, []byte(tt.md), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ParseCatalog(p)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			for name, w := range tt.want {
				g := got[name]
				if g.Type != w.Type || g.Component != w.Component || g.Meaning != w.Meaning || !slices.Equal(g.Labels, w.Labels) {
					t.Errorf("%s = %+v, want %+v", name, g, w)
				}
			}
			if !tt.wantErr && len(got) != len(tt.want) {
				t.Errorf("parsed %d metrics, want %d", len(got), len(tt.want))
			}
		})
	}
}
