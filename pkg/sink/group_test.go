package sink

import (
	"context"
	"errors"
	"fmt"
	"testing"
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

func TestPlanGroups(t *testing.T) {
	a := &Table{Database: "d", Name: "a", Columns: []Column{{Name: "id"}}, PK: []string{"id"}}
	b := &Table{Database: "d", Name: "b", Columns: []Column{{Name: "id"}}, PK: []string{"id"}}
	v := func(s string) []*string { return []*string{&s} }
	batch := &Batch{Rows: []Row{{Table: b, Values: v("1")}, {Table: a, Values: v("2")}, {Table: b, Values: v("3")}}}
	wrap := func(g *Group) string { return fmt.Sprintf("%s:%d", g.Table.Name, len(g.Rows)) }
	boom := errors.New("boom")
	tests := []struct {
		name     string
		failOn   string // prepare fails for this group
		want     []string
		prepared []string
	}{
		{"prepares every group in order", "", []string{"b:2", "a:1"}, []string{"b:2", "a:1"}},
		{"stops at the first failure", "b:2", nil, []string{"b:2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prepared []string
			prepare := func(_ context.Context, g string) error {
				prepared = append(prepared, g)
				if g == tt.failOn {
					return boom
				}
				return nil
			}
			got, err := PlanGroups(context.Background(), batch, wrap, prepare)
			if (tt.failOn != "") != errors.Is(err, boom) {
				t.Fatalf("err = %v, want failure %v", err, tt.failOn != "")
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || fmt.Sprint(prepared) != fmt.Sprint(tt.prepared) {
				t.Fatalf("groups %v prepared %v, want %v and %v", got, prepared, tt.want, tt.prepared)
			}
		})
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
	if loads != 2 || creates != 1 {
		t.Fatalf("loads=%d creates=%d, want 2 and 1 (load, create, load; then cached)", loads, creates)
	}
	c.Forget("db.t")
	if _, err := c.Get(ctx, "db.t", load, create); err != nil || loads != 3 {
		t.Fatalf("after Forget: loads=%d err=%v, want a reload", loads, err)
	}
	c.Forget("")
	boom := errors.New("boom")
	if _, err := c.Get(ctx, "db.t", func(context.Context) (int, error) { return 0, boom }, create); !errors.Is(err, boom) {
		t.Fatalf("load error not returned: %v", err)
	}
}
