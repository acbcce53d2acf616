package obstest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// eventOnly are metrics that exist only after an event the live pipeline does not provoke
// (vectors get their first series on first use). A query that uses nothing but these may return
// no data in the live test; that is logged, not failed. Every other query must return data.
var eventOnly = map[string]string{
	"ferry_replayer_errors_total":               "first decode/apply/ddl error",
	"ferry_replayer_dead_lettered_total":        "first dead-lettered message",
	"ferry_orderflow_consumer_failed_total":     "first failed order-paid delivery",
	"ferry_orderflow_consumer_duplicates_total": "first duplicate order-paid delivery",
}

// TestLivePipelineDashboards runs the pipeline (order flow load, tailer, both replayers) as
// subprocesses against the real stack, lets the stack's Prometheus scrape them through file_sd
// targets, then evaluates every dashboard panel query and variable query and every alert
// expression through Prometheus's HTTP API: each must parse, and each panel query must return
// data for this run's processes.
func TestLivePipelineDashboards(t *testing.T) {
	st := testenv.Get(t)
	prom := Prom{URL: st.PrometheusURL}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	checkRulesLoaded(ctx, t, prom)

	t0 := time.Now()
	pl := startPipeline(ctx, t, st)
	t.Logf("pipeline of %d processes up after %s", len(pl.targets), time.Since(t0).Round(time.Millisecond))
	pl.provokeEvents(ctx, t)
	t.Logf("events provoked after %s", time.Since(t0).Round(time.Millisecond))
	run := testenv.UniqueName("obs")
	for _, tg := range pl.targets {
		st.AddScrapeTarget(t, tg.addr, map[string]string{"job": tg.job, "ferry_run": run})
	}
	waitScraped(ctx, t, prom, run, len(pl.targets))
	t.Logf("all targets scraped after %s", time.Since(t0).Round(time.Millisecond))
	checkReady(t, pl)

	values := map[string]string{
		"__rate_interval": "1m", "__interval": "15s", "__range": "5m", "__range_s": "300",
		"datasource": "prometheus", "sink": ".*", "table": ".*",
		"instance": "(" + strings.Join(pl.addrs(), "|") + ")",
	}
	catalog, err := ParseCatalog(Path("docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	qs := dashboardQueries(t)
	optional := func(q Query) bool { return onlyEventMetrics(q.Expr, catalog) }
	evals := EvaluateUntilData(ctx, prom, qs, values, 3*time.Minute, 2*time.Second, optional)
	for _, e := range evals {
		switch {
		case e.Err != nil:
			t.Errorf("%s: %v", e.Query.Where, e.Err)
		case e.Series > 0:
		case optional(e.Query):
			t.Logf("no data (event-only metrics, tolerated): %s", e.Query.Where)
		default:
			t.Errorf("no data: %s\n  %s", e.Query.Where, e.Expr)
		}
	}
	t.Logf("panel queries evaluated after %s", time.Since(t0).Round(time.Millisecond))
	checkPipelineFlowed(ctx, t, prom, values)
	checkAlertExpressions(ctx, t, prom, pl.addrs())
	logMeasurements(ctx, t, prom, values)
	t.Run("stopped replayer walk-through", func(t *testing.T) {
		stoppedReplayerWalkthrough(ctx, t, st, prom, pl, run)
	})
	if t.Failed() {
		t.Logf("pipeline logs:\n%s", pl.logs())
	}
	t.Logf("evaluated %d panel and variable queries for instances %s", len(evals), values["instance"])
}

// dashboardQueries returns every panel query and every variable query of every dashboard.
func dashboardQueries(t *testing.T) []Query {
	t.Helper()
	ds, err := LoadDashboards(Path("dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Query
	for _, d := range ds {
		vq, err := d.VariableQueries()
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, d.Queries()...), vq...)
	}
	return out
}

// onlyEventMetrics reports whether every Ferry metric expr uses is an event-only metric.
func onlyEventMetrics(expr string, catalog map[string]Metric) bool {
	refs := ReferencedMetrics(expr, catalog)
	for _, r := range refs {
		if _, ok := eventOnly[r]; !ok {
			return false
		}
	}
	return len(refs) > 0
}

// thresholdAlerts fire on conditions that a loaded 2-core CI machine may meet for a moment
// while the pipeline is healthy (the rule's `for` is not applied here); they are logged, not
// failed, when they return a series for this run. FerryTailerSendErrors is one: a busy broker
// answers with flow control (TIMEOUT_CLEAN_QUEUE) and the tailer retries; only errors in every
// minute for 5 minutes (its `for`) mean a broker that is gone.
var thresholdAlerts = map[string]bool{"FerryReplayerLagHigh": true, "FerryTailerBehindSource": true, "FerryTailerSendErrors": true}

// checkAlertExpressions evaluates every alert expression: it must parse and evaluate, and no
// state alert may return a series for one of this run's healthy processes (instances), which
// would be a false alarm. Series without an instance label cannot be attributed and are logged.
func checkAlertExpressions(ctx context.Context, t *testing.T, prom Prom, instances []string) {
	t.Helper()
	mine := map[string]bool{}
	for _, a := range instances {
		mine[a] = true
	}
	for _, q := range alertQueries(t) {
		name := strings.TrimPrefix(q.Where, "alerts.yml: ")
		samples, err := prom.Query(ctx, q.Expr)
		if err != nil {
			t.Errorf("%s: %v", q.Where, err)
			continue
		}
		for _, s := range samples {
			if mine[s.Labels["instance"]] && thresholdAlerts[name] {
				t.Logf("%s (threshold) returns %v = %s for this run", q.Where, s.Labels, s.Value)
			} else if mine[s.Labels["instance"]] {
				t.Errorf("%s fires for this run's healthy %s: %v = %s", q.Where, s.Labels["instance"], s.Labels, s.Value)
			} else if s.Labels["instance"] == "" {
				t.Logf("%s returns %v = %s (not attributable to this run)", q.Where, s.Labels, s.Value)
			}
		}
	}
}

// flowChecks are facts about this run that must become true: data went all the way through.
var flowChecks = []struct {
	name, expr string
	series     int
}{
	// A rate, not a count: FerryReplayerNotConsuming (checked next, without its `for`) treats a
	// replayer as healthy once its applied-rows rate is positive, which takes two scrapes after
	// its first batch; a ClickHouse replayer's first batch can come late (1 s linger, table creation).
	{"both sinks applied rows", `sum by (sink) (rate(ferry_replayer_rows_applied_total{instance=~"$instance"}[5m])) > 0`, 2},
	{"the tailer published rows", `sum(ferry_tailer_rows_total{instance=~"$instance",op!="DDL"}) > 0`, 1},
	{"the tailer read the DDL", `sum(ferry_tailer_rows_total{instance=~"$instance",op="DDL"}) > 0`, 1},
	{"both replayers handled the DDL", `sum by (job) (ferry_replayer_ddl_total{instance=~"$instance",action="handled"}) > 0`, 2},
	{"both sinks measured end-to-end lag", `sum by (sink) (ferry_replayer_end_to_end_lag_seconds_count{instance=~"$instance"}) > 0`, 2},
	{"verify found the MySQL copy equal", `ferry_verify_mismatched_rows{instance=~"$instance"} == 0`, 1},
	{"order-paid messages were sent and consumed", `sum(ferry_orderflow_order_paid_sent_total{instance=~"$instance"}) > 0 and on() sum(ferry_orderflow_consumer_handled_total{instance=~"$instance"}) > 0`, 1},
	{"the flash sale sold out and created orders", `sum(ferry_orderflow_flash_requests_total{instance=~"$instance",result=~"sold_out.*"}) > 0 and on() sum(ferry_orderflow_flash_orders_created_total{instance=~"$instance"}) > 0`, 1},
}

// checkPipelineFlowed waits (up to 2 minutes) for every flow check to hold.
func checkPipelineFlowed(ctx context.Context, t *testing.T, prom Prom, values map[string]string) {
	t.Helper()
	qs := make([]Query, len(flowChecks))
	for i, c := range flowChecks {
		qs[i] = Query{Where: c.name, Expr: c.expr, Want: c.series} // e.g. wait for both sinks, not the first
	}
	for i, e := range EvaluateUntilData(ctx, prom, qs, values, 2*time.Minute, 2*time.Second, nil) {
		if e.Err != nil || e.Series != flowChecks[i].series {
			t.Errorf("%s: %d series (want %d), err %v\n  %s", e.Query.Where, e.Series, flowChecks[i].series, e.Err, e.Expr)
		}
	}
}

// checkRulesLoaded makes the stack's Prometheus reload dashboards/alerts.yml and checks that
// every alert in the file is loaded.
func checkRulesLoaded(ctx context.Context, t *testing.T, prom Prom) {
	t.Helper()
	rf, err := LoadRules(Path("dashboards", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	missing := func() []string {
		loaded, err := prom.LoadedRules(ctx)
		if err != nil {
			t.Fatalf("list loaded rules: %v", err)
		}
		have := map[string]bool{}
		for _, n := range loaded {
			have[n] = true
		}
		var out []string
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" && !have[r.Alert] {
					out = append(out, r.Alert)
				}
			}
		}
		return out
	}
	// Always reload: the rule file may have changed since Prometheus last read it.
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, prom.URL+"/-/reload", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if m := missing(); len(m) > 0 {
		t.Fatalf("the stack's Prometheus has not loaded alerts %v from dashboards/alerts.yml; run scripts/stack up (it renders rule_files and reloads)", m)
	}
}

// waitScraped waits until Prometheus has scraped n targets labelled ferry_run=run successfully.
func waitScraped(ctx context.Context, t *testing.T, prom Prom, run string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last []string
	for time.Now().Before(deadline) {
		ts, err := prom.Targets(ctx)
		if err != nil {
			t.Fatalf("list targets: %v", err)
		}
		up, states := 0, []string(nil)
		for _, tg := range ts {
			if tg.Labels["ferry_run"] != run {
				continue
			}
			states = append(states, tg.Labels["job"]+"="+tg.Health+" "+tg.LastError)
			if tg.Health == "up" {
				up++
			}
		}
		if up == n {
			return
		}
		last = states
		time.Sleep(time.Second)
	}
	sort.Strings(last)
	t.Fatalf("Prometheus did not scrape all %d targets of run %s within 60 s: %v", n, run, last)
}

// measurements are logged (not asserted) so that a run's figures can be read from the test log.
var measurements = []struct{ name, expr string }{
	{"rows/s read from the binlog", `sum(rate(ferry_tailer_rows_total{instance=~"$instance"}[1m]))`},
	{"rows/s applied per sink", `sum by (sink) (rate(ferry_replayer_rows_applied_total{instance=~"$instance"}[1m]))`},
	{"end-to-end lag p50 per sink (s)", `histogram_quantile(0.5, sum by (sink, le) (rate(ferry_replayer_end_to_end_lag_seconds_bucket{instance=~"$instance"}[5m])))`},
	{"end-to-end lag p99 per sink (s)", `histogram_quantile(0.99, sum by (sink, le) (rate(ferry_replayer_end_to_end_lag_seconds_bucket{instance=~"$instance"}[5m])))`},
	{"apply p99 per sink (s)", `histogram_quantile(0.99, sum by (sink, le) (rate(ferry_replayer_apply_duration_seconds_bucket{instance=~"$instance"}[5m])))`},
	{"max broker backlog per replayer", `max_over_time((sum by (job) (ferry_replayer_queue_backlog{instance=~"$instance"}))[5m:2s])`},
	{"seconds behind source (tailer)", `ferry_tailer_seconds_behind_source{instance=~"$instance"}`},
	{"pay latency p99 (s)", `histogram_quantile(0.99, sum by (le) (rate(ferry_orderflow_pay_seconds_bucket{instance=~"$instance"}[5m])))`},
	{"resident memory per process (MiB)", `process_resident_memory_bytes{instance=~"$instance"} / 2^20`},
}

func logMeasurements(ctx context.Context, t *testing.T, prom Prom, values map[string]string) {
	t.Helper()
	for _, m := range measurements {
		expr, err := Substitute(m.expr, values)
		if err != nil {
			t.Fatal(err)
		}
		samples, err := prom.Query(ctx, expr)
		if err != nil {
			t.Errorf("measurement %s: %v", m.name, err)
			continue
		}
		var parts []string
		for _, s := range samples {
			parts = append(parts, fmt.Sprintf("%v=%s", s.Labels, s.Value))
		}
		sort.Strings(parts)
		t.Logf("measured %s: %s", m.name, strings.Join(parts, " "))
	}
}

// checkReady asserts every process of the healthy pipeline answers /readyz with 200.
func checkReady(t *testing.T, pl *pipeline) {
	t.Helper()
	for _, tg := range pl.targets {
		resp, err := http.Get("http://" + tg.addr + "/readyz")
		if err != nil {
			t.Errorf("%s %s /readyz: %v", tg.job, tg.addr, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s /readyz = %d %q on a healthy pipeline", tg.job, tg.addr, resp.StatusCode, body)
		}
	}
}
