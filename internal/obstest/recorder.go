package obstest

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Recorder is a prometheus.Registerer that records the descriptor (name, labels, type) of every
// metric a component registers, including vectors that have no children yet and therefore
// would not appear in a scrape. It also registers into a real registry so duplicate or
// inconsistent registrations fail as they would in production.
type Recorder struct {
	mu      sync.Mutex
	reg     *prometheus.Registry
	metrics map[string]Metric
}

var _ prometheus.Registerer = (*Recorder)(nil)

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{reg: prometheus.NewRegistry(), metrics: map[string]Metric{}}
}

// Register records c's descriptors and registers it.
func (r *Recorder) Register(c prometheus.Collector) error {
	if err := r.reg.Register(c); err != nil {
		return err
	}
	types := collectedTypes(c)
	descs := make(chan *prometheus.Desc, 64)
	go func() { c.Describe(descs); close(descs) }()
	r.mu.Lock()
	defer r.mu.Unlock()
	for d := range descs {
		m, err := parseDesc(d.String())
		if err != nil {
			return err
		}
		m.Type = types[d.String()]
		if m.Type == "" {
			m.Type = vectorType(c)
		}
		r.metrics[m.Name] = m
	}
	return nil
}

// MustRegister registers every collector and panics on the first error.
func (r *Recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// Unregister removes c from the registry; its descriptors stay recorded.
func (r *Recorder) Unregister(c prometheus.Collector) bool { return r.reg.Unregister(c) }

// Metrics returns what was registered, keyed by name.
func (r *Recorder) Metrics() map[string]Metric {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Metric, len(r.metrics))
	for k, v := range r.metrics {
		out[k] = v
	}
	return out
}

// Gatherer is the real registry behind the recorder.
func (r *Recorder) Gatherer() prometheus.Gatherer { return r.reg }

var (
	descName   = regexp.MustCompile(`fqName: "((?:[^"\\]|\\.)*)"`)
	descHelp   = regexp.MustCompile(`help: ("(?:[^"\\]|\\.)*")`)
	descConst  = regexp.MustCompile(`constLabels: \{(.*)\}, variableLabels: \{`)
	descVar    = regexp.MustCompile(`variableLabels: \{([^}]*)\}\}$`)
	constLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)
)

// parseDesc extracts name and label names from prometheus.Desc.String() (client_golang v1.25).
func parseDesc(s string) (Metric, error) {
	n := descName.FindStringSubmatch(s)
	v := descVar.FindStringSubmatch(s)
	if n == nil || v == nil {
		return Metric{}, fmt.Errorf("parse metric descriptor %q: unexpected format (client_golang changed Desc.String?)", s)
	}
	var labels []string
	for _, l := range strings.Split(v[1], ",") {
		l = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(l), "c("), ")")
		if l != "" {
			labels = append(labels, l)
		}
	}
	if c := descConst.FindStringSubmatch(s); c != nil {
		for _, m := range constLabel.FindAllStringSubmatch(c[1], -1) {
			labels = append(labels, m[1])
		}
	}
	sort.Strings(labels)
	help := ""
	if h := descHelp.FindStringSubmatch(s); h != nil {
		help, _ = strconv.Unquote(h[1])
	}
	return Metric{Name: n[1], Labels: labels, Meaning: help}, nil
}

// collectedTypes maps descriptor strings to the type of the metrics c collects right now.
func collectedTypes(c prometheus.Collector) map[string]string {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	out := map[string]string{}
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			continue
		}
		out[m.Desc().String()] = dtoType(&pb)
	}
	return out
}

func dtoType(pb *dto.Metric) string {
	switch {
	case pb.Counter != nil:
		return "counter"
	case pb.Gauge != nil:
		return "gauge"
	case pb.Histogram != nil:
		return "histogram"
	case pb.Summary != nil:
		return "summary"
	case pb.Untyped != nil:
		return "untyped"
	}
	return "unknown"
}

// vectorType is the type of a vector that has no children to collect yet.
func vectorType(c prometheus.Collector) string {
	switch c.(type) {
	case *prometheus.CounterVec:
		return "counter"
	case *prometheus.GaugeVec:
		return "gauge"
	case *prometheus.HistogramVec:
		return "histogram"
	case *prometheus.SummaryVec:
		return "summary"
	}
	return "unknown"
}
