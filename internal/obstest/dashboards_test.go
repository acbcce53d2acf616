package obstest

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestDashboardsWellFormed checks what Grafana import and provisioning rely on: a unique uid,
// a current schema, the ${datasource} variable on every panel and query, and no data-source uid
// other than the variable anywhere in the file.
func TestDashboardsWellFormed(t *testing.T) {
	ds, err := LoadDashboards(Path("dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) < 3 {
		t.Fatalf("found %d dashboards in dashboards/, want at least 3 (overview, tables, orderflow)", len(ds))
	}
	uids := map[string]string{}
	for _, d := range ds {
		t.Run(d.File, func(t *testing.T) {
			if d.UID == "" || d.Title == "" {
				t.Fatalf("uid %q title %q: both are required", d.UID, d.Title)
			}
			if other, dup := uids[d.UID]; dup {
				t.Fatalf("uid %q also used by %s", d.UID, other)
			}
			uids[d.UID] = d.File
			if d.SchemaVersion < 39 {
				t.Errorf("schemaVersion %d, want >= 39 (Grafana 10.4+)", d.SchemaVersion)
			}
			checkDatasourceVariable(t, d)
			checkPanels(t, d)
			checkNoHardcodedUIDs(t, d)
		})
	}
}

func checkDatasourceVariable(t *testing.T, d Dashboard) {
	t.Helper()
	for _, v := range d.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" && strings.Contains(string(v.Query), "prometheus") {
			return
		}
	}
	t.Error(`no template variable {"name":"datasource","type":"datasource","query":"prometheus"}`)
}

func checkPanels(t *testing.T, d Dashboard) {
	t.Helper()
	ids := map[int]bool{}
	queries := 0
	for _, p := range d.AllPanels() {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if !isVarDatasource(p.Datasource) {
			t.Errorf("panel %q: datasource %+v, want {prometheus ${datasource}}", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			queries++
			if strings.TrimSpace(tg.Expr) == "" || !isVarDatasource(tg.Datasource) {
				t.Errorf("panel %q [%s]: empty expr or datasource not ${datasource}", p.Title, tg.RefID)
			}
			// Every selector is filtered by $instance: the dashboards can be narrowed to one
			// deployment, and the live test attributes each result to its own processes.
			if bare := bareSelector.FindString(tg.Expr); bare != "" {
				t.Errorf("panel %q [%s]: selector %q has no label matchers (needs instance=~\"$instance\")", p.Title, tg.RefID, bare)
			}
			if sel, filtered := strings.Count(tg.Expr, "{"), strings.Count(tg.Expr, `instance=~"$instance"`); sel != filtered {
				t.Errorf("panel %q [%s]: %d selectors but %d filter instance=~\"$instance\": %s", p.Title, tg.RefID, sel, filtered, tg.Expr)
			}
		}
	}
	if queries == 0 {
		t.Error("dashboard has no queries")
	}
}

// bareSelector finds a metric name used without a {...} matcher.
var bareSelector = regexp.MustCompile(`\b(ferry_[a-z0-9_]+|process_[a-z0-9_]+|up)\b(?:[^{a-z0-9_]|$)`)

func isVarDatasource(r *DataSourceRef) bool {
	return r != nil && r.Type == "prometheus" && (r.UID == "${datasource}" || r.UID == "$datasource")
}

// checkNoHardcodedUIDs walks the raw JSON: any "datasource" object must use the variable (or be
// Grafana's built-in annotation source).
func checkNoHardcodedUIDs(t *testing.T, d Dashboard) {
	t.Helper()
	var raw any
	if err := json.Unmarshal(d.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "datasource" {
					if m, ok := c.(map[string]any); ok {
						uid, _ := m["uid"].(string)
						if uid != "${datasource}" && uid != "-- Grafana --" {
							t.Errorf("%s.datasource uid %q is hard-coded; use ${datasource}", path, uid)
						}
					} else if s, ok := c.(string); ok && s != "${datasource}" {
						t.Errorf("%s.datasource %q is hard-coded; use ${datasource}", path, s)
					}
				}
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path+"[]", c)
			}
		}
	}
	walk("$", raw)
	if regexp.MustCompile(`"__inputs"`).Match(d.Raw) {
		t.Error("dashboard has __inputs (export for sharing); keep the ${datasource} variable instead")
	}
}

// TestSubstitute covers the variable substitution the live test relies on.
func TestSubstitute(t *testing.T) {
	vals := map[string]string{"__rate_interval": "1m", "table": ".*", "instance": "a|b"}
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{`rate(x{table=~"$table"}[$__rate_interval])`, `rate(x{table=~".*"}[1m])`, false},
		{`x{instance=~"${instance}"}`, `x{instance=~"a|b"}`, false},
		{`x{instance=~"${instance:regex}"}`, `x{instance=~"a|b"}`, false},
		{`x{table=~"[[table]]"}`, `x{table=~".*"}`, false},
		{`x{sink=~"$sink"}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Substitute(tt.in, vals)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("Substitute = %q, %v; want %q, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestBareSelector(t *testing.T) {
	tests := []struct {
		expr string
		bare bool
	}{
		{`rate(ferry_tailer_rows_total[1m])`, true},
		{`sum(up)`, true},
		{`ferry_verify_mismatched_rows`, true},
		{`ferry_replayer_halted > 0`, true},
		{`rate(ferry_tailer_rows_total{instance=~"$instance"}[1m])`, false},
		{`changes(process_start_time_seconds{instance=~"$instance"}[5m])`, false},
		{`sum by (job, instance) (up{instance=~"$instance"})`, false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if got := bareSelector.FindString(tt.expr) != ""; got != tt.bare {
				t.Fatalf("bare = %v, want %v", got, tt.bare)
			}
		})
	}
}
