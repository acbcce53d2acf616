package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGroupByTable(t *testing.T) {
	a := &Table{Database: "d", Name: "a", Columns: []Column{{Name: "id"}}, PK: []string{"id"}}
	a2 := &Table{Database: "d", Name: "a", Columns: []Column{{Name: "id"}}, PK: []string{"id"}} // same shape, other pointer
	b := &Table{Database: "d", Name: "b", Columns: []Column{{Name: "id"}}, PK: []string{"id"}}
	v := func(s string) []*string { return []*string{&s} }
	tests := []struct {
		name    string
		rows    []Row
		want    []int // rows per group, in group order
		wantErr bool
	}{
		{"empty", nil, nil, false},
		{"keeps first-seen group order", []Row{{Table: b, Values: v("1")}, {Table: a, Values: v("2")}, {Table: b, Values: v("3")}}, []int{2, 1}, false},
		{"same shape, other pointer", []Row{{Table: a, Values: v("1")}, {Table: a2, Values: v("2")}}, []int{2}, false},
		{"value count mismatch", []Row{{Table: a, Values: nil}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs, err := GroupByTable(&Batch{Rows: tt.rows})
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ErrBadRow)) {
				t.Fatalf("err = %v, want error %v (ErrBadRow)", err, tt.wantErr)
			}
			if len(gs) != len(tt.want) {
				t.Fatalf("%d groups, want %d", len(gs), len(tt.want))
			}
			for i, g := range gs {
				if len(g.Rows) != tt.want[i] {
					t.Fatalf("group %d has %d rows, want %d", i, len(g.Rows), tt.want[i])
				}
			}
		})
	}
}

// TestPlanCache checks that a plan is built once per table shape and copy state, shared by
// tables of equal shape, rebuilt when the copy state changes and after Forget, and not cached
// when building fails.
func TestPlanCache(t *testing.T) {
	var pc PlanCache[int, string]
	a := &Table{Database: "d", Name: "a", Columns: []Column{{Name: "id", MySQLType: "int"}}, PK: []string{"id"}}
	same := &Table{Database: "d", Name: "a", Columns: []Column{{Name: "id", MySQLType: "int"}}, PK: []string{"id"}}
	wider := &Table{Database: "d", Name: "a", Columns: []Column{{Name: "id", MySQLType: "int"}, {Name: "x", MySQLType: "int"}}, PK: []string{"id"}}
	builds := 0
	build := func(s string) func() (string, error) {
		return func() (string, error) { builds++; return fmt.Sprintf("%s#%d", s, builds), nil }
	}
	boom := errors.New("boom")
	steps := []struct {
		name  string
		table *Table
		copy  int
		fail  bool
		want  string
	}{
		{"first use builds", a, 1, false, "p#1"},
		{"same shape reuses", same, 1, false, "p#1"},
		{"other shape builds", wider, 1, false, "p#2"},
		{"changed copy rebuilds", a, 2, false, "p#3"},
		{"failed build is not cached", a, 3, true, ""},
		{"next use builds again", a, 3, false, "p#5"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			b := build("p")
			if st.fail {
				b = func() (string, error) { builds++; return "", boom }
			}
			got, err := pc.Get(st.table, st.copy, b)
			if st.fail != errors.Is(err, boom) || got != st.want {
				t.Fatalf("Get = %q, %v; want %q (failure %v)", got, err, st.want, st.fail)
			}
		})
	}
	pc.Forget(a)
	if _, ok := pc.Cached(a); ok {
		t.Fatal("plan cached after Forget")
	}
	if p, ok := pc.Cached(wider); !ok || p != "p#2" {
		t.Fatalf("Forget of one shape dropped another: %q, %v", p, ok)
	}
}

func TestTableCache(t *testing.T) {
	var c TableCache[int]
	loads, creates, exists := 0, 0, false
	load := func(context.Context) (int, error) {
		loads++
		if !exists {
			return 0, fmt.Errorf("db.t: %w", ErrNoCopyTable)
		}
		return 42, nil
	}
	create := func(context.Context) error { creates++; exists = true; return nil }
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		v, err := c.Get(ctx, "db.t", load, create)
		if err != nil || v != 42 {
			t.Fatalf("Get = %d, %v", v, err)
		}
	}
	if loads != 3 || creates != 1 {
		t.Fatalf("loads=%d creates=%d, want 3 and 1 (load, load under the create lock, create, load; then cached)", loads, creates)
	}
	c.Forget("db.t")
	if _, err := c.Get(ctx, "db.t", load, create); err != nil || loads != 4 {
		t.Fatalf("after Forget: loads=%d err=%v, want a reload", loads, err)
	}
	c.Forget("")
	boom := errors.New("boom")
	if _, err := c.Get(ctx, "db.t", func(context.Context) (int, error) { return 0, boom }, create); !errors.Is(err, boom) {
		t.Fatalf("load error not returned: %v", err)
	}
}

// TestTableCacheCreatesOnce: callers that find the table missing at the same time create it
// once; the others load what it created.
func TestTableCacheCreatesOnce(t *testing.T) {
	var c TableCache[int]
	var exists, creates atomic.Int32
	load := func(context.Context) (int, error) {
		if exists.Load() == 0 {
			return 0, ErrNoCopyTable
		}
		return 42, nil
	}
	create := func(context.Context) error {
		creates.Add(1)
		time.Sleep(10 * time.Millisecond) // a slow CREATE: the other callers are waiting meanwhile
		exists.Store(1)
		return nil
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v, err := c.Get(context.Background(), "db.t", load, create); err != nil || v != 42 {
				t.Errorf("Get = %d, %v", v, err)
			}
		})
	}
	wg.Wait()
	if n := creates.Load(); n != 1 {
		t.Fatalf("created %d times, want once", n)
	}
}
