package verify_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// gaugeValue returns the value of metric name{table, sink} in reg, or -1 if absent.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name, table, sink string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["table"] == table && labels["sink"] == sink {
				if m.GetGauge() != nil {
					return m.GetGauge().GetValue()
				}
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}
