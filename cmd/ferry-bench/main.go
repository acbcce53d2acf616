// Command ferry-bench renders benchmark output for docs/BENCHMARKS.md; scripts/bench runs the
// benchmarks and calls it.
//
//	ferry-bench < go-test-bench-output > table.md
//	ferry-bench lag-chart [-title T] < lag-samples.csv > chart.svg
//
// The first form prints `go test -bench` output as the markdown table; lag-chart draws the
// "sink,t_s,lag_ms" samples BenchmarkLagOpenLoop writes (FERRY_BENCH_LAG_CSV) as an SVG chart of
// lag over time per copy.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ferry-cdc/ferry/internal/benchreport"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "lag-chart" {
		fs := flag.NewFlagSet("lag-chart", flag.ExitOnError)
		title := fs.String("title", "End-to-end lag per copy (open-loop writer)", "chart title")
		_ = fs.Parse(os.Args[2:])
		exit(lagChart(os.Stdin, os.Stdout, *title))
	}
	exit(table(os.Stdin, os.Stdout))
}

func exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferry-bench:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// table renders `go test -bench` output as the markdown table.
func table(in io.Reader, out io.Writer) error {
	res, err := benchreport.Parse(in)
	if err != nil {
		return err
	}
	if len(res) == 0 {
		return fmt.Errorf("no benchmark lines on stdin (did the benchmarks fail?)")
	}
	_, err = fmt.Fprint(out, benchreport.Markdown(res))
	return err
}

// lagChart renders lag samples as an SVG chart.
func lagChart(in io.Reader, out io.Writer, title string) error {
	samples, err := benchreport.ParseLagCSV(in)
	if err != nil {
		return err
	}
	if len(samples) == 0 {
		return fmt.Errorf("no lag samples on stdin (did BenchmarkLagOpenLoop run with FERRY_BENCH_LAG_CSV set?)")
	}
	_, err = fmt.Fprint(out, benchreport.LagChartSVG(samples, title))
	return err
}
