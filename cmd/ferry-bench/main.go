// Command ferry-bench renders `go test -bench` output read from stdin as the markdown table of
// docs/BENCHMARKS.md. scripts/bench runs the benchmarks and calls it.
package main

import (
	"fmt"
	"os"

	"github.com/ferry-cdc/ferry/internal/benchreport"
)

func main() {
	res, err := benchreport.Parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferry-bench:", err)
		os.Exit(1)
	}
	if len(res) == 0 {
		fmt.Fprintln(os.Stderr, "ferry-bench: no benchmark lines on stdin (did the benchmarks fail?)")
		os.Exit(1)
	}
	fmt.Print(benchreport.Markdown(res))
}
