package obstest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Dashboard is the part of a Grafana (classic JSON model) dashboard the tests look at.
type Dashboard struct {
	File          string
	UID           string          `json:"uid"`
	Title         string          `json:"title"`
	SchemaVersion int             `json:"schemaVersion"`
	Panels        []Panel         `json:"panels"`
	Templating    Templating      `json:"templating"`
	Raw           json.RawMessage `json:"-"`
}

// Templating holds the dashboard variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a dashboard template variable.
type Variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *DataSourceRef  `json:"datasource"`
	AllValue   string          `json:"allValue"`
	Definition string          `json:"definition"`
}

// Panel is a dashboard panel; rows carry their collapsed children in Panels.
type Panel struct {
	ID         int            `json:"id"`
	Title      string         `json:"title"`
	Type       string         `json:"type"`
	Datasource *DataSourceRef `json:"datasource"`
	Targets    []Target       `json:"targets"`
	Panels     []Panel        `json:"panels"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string         `json:"refId"`
	Expr       string         `json:"expr"`
	Datasource *DataSourceRef `json:"datasource"`
}

// DataSourceRef is Grafana's {type, uid} data-source reference.
type DataSourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Query is one panel expression, named for error messages.
type Query struct {
	Where string // "file: panel title [refId]"
	Expr  string
	Want  int // series that count as "has data" for EvaluateUntilData (0: any)
}

// LoadDashboards reads every *.json dashboard in dir.
func LoadDashboards(dir string) ([]Dashboard, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list dashboards: %w", err)
	}
	sort.Strings(files)
	var out []Dashboard
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read dashboard: %w", err)
		}
		var d Dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("parse dashboard %s: %w", f, err)
		}
		d.File, d.Raw = filepath.Base(f), b
		out = append(out, d)
	}
	return out, nil
}

// AllPanels flattens rows: every panel, including those inside collapsed rows.
func (d Dashboard) AllPanels() []Panel {
	var out []Panel
	var walk func([]Panel)
	walk = func(ps []Panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// Queries returns every panel target's expression.
func (d Dashboard) Queries() []Query {
	var out []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			out = append(out, Query{Where: fmt.Sprintf("%s: %q [%s]", d.File, p.Title, t.RefID), Expr: t.Expr})
		}
	}
	return out
}

var varRef = regexp.MustCompile(`\$\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}|\$([a-zA-Z_][a-zA-Z0-9_]*)|\[\[([a-zA-Z_][a-zA-Z0-9_]*)\]\]`)

// Substitute replaces Grafana variables ($name, ${name}, ${name:fmt}, [[name]]) in expr with
// values; it returns an error naming any variable it has no value for.
func Substitute(expr string, values map[string]string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(expr, func(m string) string {
		sm := varRef.FindStringSubmatch(m)
		name := sm[1] + sm[2] + sm[3]
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for variable(s) %s in %q", strings.Join(missing, ", "), expr)
	}
	return out, nil
}

// metricRef finds identifiers that look like Ferry metric names in an expression.
var metricRef = regexp.MustCompile(`\bferry_[a-z0-9_]+\b`)

// histogramSuffix strips the series suffixes a histogram or summary adds to its name.
var histogramSuffix = regexp.MustCompile(`_(bucket|sum|count)$`)

// ReferencedMetrics returns the Ferry metric names an expression uses, with histogram series
// suffixes resolved against catalog (ferry_x_seconds_bucket -> ferry_x_seconds).
func ReferencedMetrics(expr string, catalog map[string]Metric) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range metricRef.FindAllString(expr, -1) {
		if _, ok := catalog[n]; !ok {
			if base := histogramSuffix.ReplaceAllString(n, ""); base != n {
				if m, ok := catalog[base]; ok && (m.Type == "histogram" || m.Type == "summary") {
					n = base
				}
			}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// labelValuesRe matches Grafana's label_values(selector, label) variable query.
var labelValuesRe = regexp.MustCompile(`^\s*label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$`)

// VariableQueries returns each query variable's label_values(selector, label) as the PromQL
// count by (label) (selector), which returns data exactly when the variable has values.
// Other variable query forms are returned as errors so that the test notices them.
func (d Dashboard) VariableQueries() ([]Query, error) {
	var out []Query
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValuesRe.FindStringSubmatch(v.Definition)
		if m == nil {
			return nil, fmt.Errorf("%s: variable %s: definition %q is not label_values(selector, label)", d.File, v.Name, v.Definition)
		}
		out = append(out, Query{Where: fmt.Sprintf("%s: variable $%s", d.File, v.Name),
			Expr: fmt.Sprintf("count by (%s) (%s)", m[2], m[1])})
	}
	return out, nil
}
