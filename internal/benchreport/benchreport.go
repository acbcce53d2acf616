// Package benchreport turns `go test -bench` output into the markdown table kept in
// docs/BENCHMARKS.md.
//
// Ferry's benchmarks report their speed as ratios against a raw baseline measured in the same run
// (b.ReportMetric(x, "ratio") and friends), because the machines they run on are shared and noisy:
// an absolute rows/s figure means little, a ratio against the same server in the same minute does.
package benchreport

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Result is one benchmark line: its name, package and every metric it reported.
type Result struct {
	Package string
	Name    string
	Metrics map[string]float64
}

// Parse reads `go test -bench` output (several packages may be interleaved) and returns the
// benchmark results in the order they appear.
func Parse(r io.Reader) ([]Result, error) {
	var out []Result
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if res, ok := parseLine(line); ok {
			res.Package = pkg
			out = append(out, res)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read benchmark output: %w", err)
	}
	return out, nil
}

// parseLine parses "BenchmarkName-2  <iterations>  <value> <unit>  <value> <unit> ...".
func parseLine(line string) (Result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
		return Result{}, false
	}
	if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
		return Result{}, false
	}
	res := Result{Name: f[0], Metrics: map[string]float64{}}
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return Result{}, false
		}
		res.Metrics[f[i+1]] = v
	}
	return res, true
}

// Markdown renders results as one table row per benchmark with its metrics sorted by unit name.
func Markdown(results []Result) string {
	var b strings.Builder
	b.WriteString("| package | benchmark | metrics |\n|---|---|---|\n")
	for _, r := range results {
		units := make([]string, 0, len(r.Metrics))
		for u := range r.Metrics {
			units = append(units, u)
		}
		sort.Strings(units)
		parts := make([]string, 0, len(units))
		for _, u := range units {
			parts = append(parts, fmt.Sprintf("%s %s", strconv.FormatFloat(r.Metrics[u], 'g', 4, 64), u))
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", shortPkg(r.Package), r.Name, strings.Join(parts, ", "))
	}
	return b.String()
}

func shortPkg(p string) string {
	return strings.TrimPrefix(p, "github.com/ferry-cdc/ferry/")
}
