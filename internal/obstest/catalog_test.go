package obstest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/canal"
	"github.com/ferry-cdc/ferry/pkg/orderflow/consumers"
	"github.com/ferry-cdc/ferry/pkg/orderflow/flashsale"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
	"github.com/ferry-cdc/ferry/pkg/replayer"
	"github.com/ferry-cdc/ferry/pkg/verify"
)

// component builds one component's metrics struct on a registerer, exactly as its process does.
type component struct {
	name     string // catalog section
	register func(prometheus.Registerer)
}

// components lists every metrics constructor of every Ferry component. Add a line when a
// component lands; the catalog test then demands its metrics in docs/metrics.md.
var components = []component{
	{"tailer", func(r prometheus.Registerer) { canal.NewMetrics(r) }},
	{"replayer", func(r prometheus.Registerer) { replayer.NewMetrics(r) }},
	{"backfill", func(r prometheus.Registerer) { backfill.NewMetrics(r) }},
	{"orderflow", func(r prometheus.Registerer) { service.NewMetrics(r) }},
	{"orderflow", func(r prometheus.Registerer) { consumers.NewMetrics(r) }},
	{"orderflow", func(r prometheus.Registerer) { flashsale.NewMetrics(r) }},
	{"verify", func(r prometheus.Registerer) { verify.NewMetrics(r) }},
}

// registeredMetrics builds every component on one recorder (a duplicate name across components
// panics, as it would in a process that hosts both).
func registeredMetrics(t *testing.T) map[string]Metric {
	t.Helper()
	out := map[string]Metric{}
	for _, c := range components {
		rec := NewRecorder()
		c.register(rec)
		for name, m := range rec.Metrics() {
			if prev, dup := out[name]; dup && prev.Component != c.name {
				t.Errorf("metric %s registered by both %s and %s", name, prev.Component, c.name)
			}
			m.Component = c.name
			out[name] = m
		}
	}
	return out
}

// TestCatalogMatchesComponents compares docs/metrics.md with what the components register, both
// ways: name, type, labels and section.
func TestCatalogMatchesComponents(t *testing.T) {
	catalog, err := ParseCatalog(Path("docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	registered := registeredMetrics(t)
	if len(registered) == 0 {
		t.Fatal("no component registered any metric")
	}
	for _, name := range sortedKeys(registered) {
		got := registered[name]
		want, ok := catalog[name]
		if !ok {
			t.Errorf("%s is exported by %s but missing from docs/metrics.md; add under \"## %s\":\n%s", name, got.Component, got.Component, CatalogRow(got))
			continue
		}
		if got.Type != want.Type {
			t.Errorf("%s: registered as %s, catalog says %s", name, got.Type, want.Type)
		}
		if !slices.Equal(got.Labels, want.Labels) {
			t.Errorf("%s: registered labels %v, catalog says %v", name, got.Labels, want.Labels)
		}
		if got.Component != want.Component {
			t.Errorf("%s: registered by %s, but listed under section %q", name, got.Component, want.Component)
		}
		if strings.TrimSpace(want.Meaning) == "" {
			t.Errorf("%s: no meaning in the catalog", name)
		}
	}
	for _, name := range sortedKeys(catalog) {
		if _, ok := registered[name]; !ok {
			t.Errorf("%s is in docs/metrics.md (section %q) but no component registers it", name, catalog[name].Component)
		}
	}
	t.Logf("%d metrics registered by %d constructors, %d in the catalog", len(registered), len(components), len(catalog))
}

// TestDashboardsAndAlertsUseCatalogMetrics fails when a panel or an alert refers to a metric
// that is not in the catalog, so (with TestCatalogMatchesComponents) to one nobody exports.
func TestDashboardsAndAlertsUseCatalogMetrics(t *testing.T) {
	catalog, err := ParseCatalog(Path("docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range allQueries(t) {
		for _, name := range ReferencedMetrics(q.Expr, catalog) {
			if _, ok := catalog[name]; !ok {
				t.Errorf("%s uses %s, which no component exports (not in docs/metrics.md)", q.Where, name)
			}
		}
	}
}

// allQueries returns every dashboard panel query and every alert expression.
func allQueries(t *testing.T) []Query {
	t.Helper()
	return append(dashboardQueries(t), alertQueries(t)...)
}

func alertQueries(t *testing.T) []Query {
	t.Helper()
	rf, err := LoadRules(Path("dashboards", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Query
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			out = append(out, Query{Where: "alerts.yml: " + r.Name(), Expr: r.Expr})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// coveredDirs are the package directories whose constructors are in components (pkg/publish's
// through canal.NewMetrics, which embeds them).
var coveredDirs = map[string]bool{
	"pkg/canal": true, "pkg/publish": true, "pkg/replayer": true, "pkg/backfill": true, "pkg/verify": true,
	"pkg/orderflow/service": true, "pkg/orderflow/consumers": true, "pkg/orderflow/flashsale": true,
}

// metricNameLit finds metric names given as literals in metric options.
var metricNameLit = regexp.MustCompile(`Name:\s*"(ferry_[a-z0-9_]*)"`)

// TestNoUncheckedMetricConstructors scans the Go sources under pkg/ and cmd/ for Ferry metric
// definitions: a package that defines one must be in components (so that the catalog test
// builds it), and every complete literal name must be in the catalog.
func TestNoUncheckedMetricConstructors(t *testing.T) {
	catalog, err := ParseCatalog(Path("docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, top := range []string{"pkg", "cmd"} {
		err := filepath.WalkDir(Path(top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			names := metricNameLit.FindAllStringSubmatch(string(src), -1)
			if len(names) == 0 {
				return nil
			}
			rel, _ := filepath.Rel(RepoRoot(), filepath.Dir(path))
			if !coveredDirs[filepath.ToSlash(rel)] {
				t.Errorf("%s defines Ferry metrics but its package is not in internal/obstest components; add its NewMetrics there", path)
			}
			for _, n := range names {
				found++
				if _, ok := catalog[n[1]]; !ok && !strings.HasSuffix(n[1], "_") {
					t.Errorf("%s defines %s, which is not in docs/metrics.md", path, n[1])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found == 0 {
		t.Fatal("found no metric definitions under pkg/ and cmd/; the scan is broken")
	}
}
