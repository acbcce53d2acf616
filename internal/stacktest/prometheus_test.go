package stacktest

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestPrometheusScrapesTarget serves /metrics on a random port, registers it
// through a file_sd target file, and waits (bounded) until the stack's
// Prometheus reports the target up and has scraped the test's gauge.
func TestPrometheusScrapesTarget(t *testing.T) {
	s := testenv.Get(t)
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "ferry_stacktest_answer", Help: "A known value."})
	g.Set(42)
	reg.MustRegister(g)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	job := s.AddScrapeTarget(t, ln.Addr().String(), map[string]string{"component": "stacktest"})
	deadline := time.Now().Add(60 * time.Second)
	var health, lastErr string
	for time.Now().Before(deadline) {
		health, lastErr = targetHealth(t, s.PrometheusURL, job)
		if health == "up" && queryValue(t, s.PrometheusURL, `ferry_stacktest_answer{job="`+job+`"}`) == "42" {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("target %s (job %s) not up with the gauge scraped within 60s: health %q, last error %q",
		ln.Addr(), job, health, lastErr)
}

// targetHealth returns the health and last scrape error of job's active target ("" if absent).
func targetHealth(t *testing.T, base, job string) (string, string) {
	var resp struct {
		Data struct {
			ActiveTargets []struct {
				Labels    map[string]string `json:"labels"`
				Health    string            `json:"health"`
				LastError string            `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	getJSON(t, base+"/api/v1/targets?state=active", &resp)
	for _, tg := range resp.Data.ActiveTargets {
		if tg.Labels["job"] == job {
			return tg.Health, tg.LastError
		}
	}
	return "", ""
}

// queryValue returns the first sample's value of an instant query ("" if none).
func queryValue(t *testing.T, base, q string) string {
	var resp struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	getJSON(t, base+"/api/v1/query?query="+url.QueryEscape(q), &resp)
	if len(resp.Data.Result) == 0 {
		return ""
	}
	v, _ := resp.Data.Result[0].Value[1].(string)
	return v
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v (is Prometheus up? scripts/stack status)", u, err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: decode: %v", u, err)
	}
}
