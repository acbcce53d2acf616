package canal

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// replay applies row changes per key in version order (last writer wins) and returns the
// resulting table contents rendered as "table|key|col=val ..." lines. It also fails the test when
// one (key, version, op) was published twice with different contents.
func replay(t *testing.T, rows []publishtest.Change) []string {
	type kv struct {
		version uint64
		data    map[string]*string
		deleted bool
	}
	state := map[string]kv{}
	seen := map[string]string{}
	for _, r := range rows {
		k := r.Table + "|" + r.Key
		id := fmt.Sprintf("%s|%d|%s", k, r.Version, r.Type)
		if prev, ok := seen[id]; ok && prev != render(r.Data) {
			t.Fatalf("duplicate %s with different data: %s vs %s", id, prev, render(r.Data))
		}
		seen[id] = render(r.Data)
		cur, ok := state[k]
		// A PK-change split gives DELETE and INSERT the same version on different keys; on one
		// key, equal versions are duplicates.
		if ok && r.Version <= cur.version {
			continue
		}
		state[k] = kv{version: r.Version, data: r.Data, deleted: r.Type == event.TypeDelete}
	}
	var out []string
	for k, v := range state {
		if !v.deleted {
			out = append(out, k+"|"+renderNonNull(v.data))
		}
	}
	sort.Strings(out)
	return out
}

// sourceState renders the source tables like replay does. Columns are read as text.
func sourceState(t *testing.T, db *sql.DB, tables map[string]string) []string {
	var out []string
	for table, pk := range tables {
		rows, err := db.Query("SELECT * FROM `" + table + "`")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			m := scanText(t, rows, cols, nil)
			out = append(out, table+"|"+*m[pk]+"|"+renderNonNull(m))
		}
		rows.Close()
	}
	sort.Strings(out)
	return out
}

// waitConverged waits until replaying the topic gives the source's state.
func waitConverged(t *testing.T, r *publishtest.TopicReader, src *sql.DB, tables map[string]string, timeout time.Duration) []publishtest.Change {
	t.Helper()
	want := sourceState(t, src, tables)
	deadline := time.Now().Add(timeout)
	for {
		rows, _ := r.Ordered(t)
		got := replay(t, rows)
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic replay did not converge to the source within %v: %d rows replayed, %d source rows; first diff: %s",
				timeout, len(got), len(want), firstDiff(got, want))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func firstDiff(got, want []string) string {
	g := map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	w := map[string]bool{}
	for _, s := range want {
		w[s] = true
		if !g[s] {
			return "missing " + truncate(s, 200)
		}
	}
	for _, s := range got {
		if !w[s] {
			return "extra " + truncate(s, 200)
		}
	}
	return "none"
}

// renderNonNull renders a row without its NULL columns, so a row written before an
// ADD COLUMN (NULL default) compares equal to its current SELECT.
func renderNonNull(m map[string]*string) string {
	c := map[string]*string{}
	for k, v := range m {
		if v != nil {
			c[k] = v
		}
	}
	return render(c)
}
