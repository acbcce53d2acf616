package obstest

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Metric is one exported metric: its full name, type, label names and (in the catalog) meaning.
type Metric struct {
	Name      string
	Type      string   // counter, gauge, histogram, summary, untyped or unknown
	Labels    []string // sorted label names (variable and constant)
	Component string   // catalog section the metric was listed in
	Meaning   string
}

// catalogRow matches a catalog table row: | `name` | type | `l1`, `l2` or - | meaning |
var catalogRow = regexp.MustCompile("^\\|\\s*`(ferry_[a-z0-9_]+)`\\s*\\|\\s*([a-z]+)\\s*\\|([^|]*)\\|(.*)\\|\\s*$")

// headingRe matches the "## Component" headings that group catalog rows.
var headingRe = regexp.MustCompile(`^##\s+(.+?)\s*$`)

// ParseCatalog reads the metric tables of a catalog markdown file (docs/metrics.md). Every table
// row whose first cell is a back-quoted ferry_ name is a metric; the component is the nearest "##"
// heading above it. A name listed twice is an error, as is an unknown type.
func ParseCatalog(path string) (map[string]Metric, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	defer f.Close()
	out := map[string]Metric{}
	component := ""
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if m := headingRe.FindStringSubmatch(text); m != nil {
			component = m[1]
			continue
		}
		m := catalogRow.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		met := Metric{Name: m[1], Type: m[2], Labels: parseLabelCell(m[3]), Component: component,
			Meaning: strings.TrimSpace(m[4])}
		if !validType[met.Type] {
			return nil, fmt.Errorf("%s:%d: metric %s has unknown type %q (use counter, gauge, histogram or summary)", path, line, met.Name, met.Type)
		}
		if prev, dup := out[met.Name]; dup {
			return nil, fmt.Errorf("%s:%d: metric %s listed twice (also under %q)", path, line, met.Name, prev.Component)
		}
		out[met.Name] = met
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read catalog: %w", err)
	}
	return out, nil
}

var validType = map[string]bool{"counter": true, "gauge": true, "histogram": true, "summary": true, "untyped": true}

var labelName = regexp.MustCompile("`([a-zA-Z_][a-zA-Z0-9_]*)`")

// parseLabelCell returns the back-quoted label names of a catalog cell, sorted ("-" = none).
func parseLabelCell(cell string) []string {
	var out []string
	for _, m := range labelName.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

// CatalogRow renders m as a docs/metrics.md table row (the meaning is the metric's help text
// when m comes from a Recorder).
func CatalogRow(m Metric) string {
	labels := "-"
	if len(m.Labels) > 0 {
		labels = "`" + strings.Join(m.Labels, "`, `") + "`"
	}
	return fmt.Sprintf("| `%s` | %s | %s | %s |", m.Name, m.Type, labels, strings.ReplaceAll(m.Meaning, "|", "\\|"))
}
