package verify

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// RepairFunc adapts a function to Repairer.
type RepairFunc func(ctx context.Context, table TableRef, keys [][]string) error

// Repair calls f.
func (f RepairFunc) Repair(ctx context.Context, table TableRef, keys [][]string) error {
	return f(ctx, table, keys)
}

// maxPrintedKeys caps the differing keys printed per table.
const maxPrintedKeys = 100

// WriteSummary prints one line per table (rows on both sides, chunks, differing keys, repaired
// keys, time, result) followed by the differing keys of each table.
func WriteSummary(w io.Writer, results []*TableResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tSINK\tSOURCE_ROWS\tCOPY_ROWS\tCHUNKS\tMISMATCHED_CHUNKS\tDIFFERING_KEYS\tREPAIRED\tSECONDS\tRESULT")
	for _, r := range results {
		result := "OK"
		if !r.OK() {
			result = "MISMATCH"
		}
		n := fmt.Sprint(len(r.Diffs))
		if r.Truncated {
			n += "+"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%d\t%.2f\t%s\n", r.Table, r.Sink, r.SourceRows, r.CopyRows,
			r.Chunks, r.MismatchedChunks, n, r.Repaired, r.Duration.Seconds(), result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if len(r.Diffs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%s) differing keys (%s):\n", r.Table, r.Sink, strings.Join(r.PK, ", "))
		for i, d := range r.Diffs {
			if i == maxPrintedKeys {
				fmt.Fprintf(w, "  ... %d more\n", len(r.Diffs)-i)
				break
			}
			fmt.Fprintf(w, "  %-8s %s\n", d.Kind, strings.Join(d.Key, ", "))
		}
	}
	return nil
}
