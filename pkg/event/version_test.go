package event

import (
	"errors"
	"testing"
)

func TestVersionLayout(t *testing.T) {
	tests := []struct {
		epoch uint8
		file  uint32
		pos   uint64
		row   int
		want  uint64
	}{
		{0, 0, 0, 0, 0},
		{0, 1, 4, 0, 1<<36 | 4},
		{0, 1, 4, 3, 1<<36 | 7},
		{1, 0, 0, 0, 1 << 56},
		{255, MaxFileIndex, MaxPosition, 0, ^uint64(0)},
	}
	for _, tt := range tests {
		got, err := Version(tt.epoch, tt.file, tt.pos, tt.row)
		if err != nil || got != tt.want {
			t.Errorf("Version(%d,%d,%d,%d) = %d, %v; want %d", tt.epoch, tt.file, tt.pos, tt.row, got, err, tt.want)
		}
		e, f, p := SplitVersion(got)
		if e != tt.epoch || f != tt.file || p != tt.pos+uint64(tt.row) {
			t.Errorf("SplitVersion(%d) = %d,%d,%d", got, e, f, p)
		}
	}
}

func TestVersionRangeErrors(t *testing.T) {
	for name, f := range map[string]func() error{
		"file index":   func() error { _, err := Version(0, MaxFileIndex+1, 0, 0); return err },
		"position":     func() error { _, err := Version(0, 0, MaxPosition+1, 0); return err },
		"pos plus row": func() error { _, err := Version(0, 0, MaxPosition, 1); return err },
		"negative row": func() error { _, err := Version(0, 0, 0, -1); return err },
		"snapshot 0":   func() error { _, err := SnapshotVersion(0, 0, 0); return err },
	} {
		if err := f(); !errors.Is(err, ErrVersionRange) {
			t.Errorf("%s: err = %v, want ErrVersionRange", name, err)
		}
	}
}

// TestVersionMonotonic walks events of many rows across a file rotation and an epoch bump.
func TestVersionMonotonic(t *testing.T) {
	type ev struct {
		epoch uint8
		file  uint32
		pos   uint64
		rows  int
	}
	// Each event is longer than its row count, as in a real binlog.
	evs := []ev{{0, 1, 4, 1}, {0, 1, 100, 50}, {0, 1, 151, 1000}, {0, 1, MaxPosition - 2, 2}, {0, 2, 4, 3}, {1, 1, 4, 1}}
	var last uint64
	first := true
	for _, e := range evs {
		for r := 0; r < e.rows; r++ {
			v, err := Version(e.epoch, e.file, e.pos, r)
			if err != nil {
				t.Fatal(err)
			}
			if !first && v <= last {
				t.Fatalf("version %d after %d (event %+v row %d)", v, last, e, r)
			}
			last, first = v, false
		}
	}
	sv, _ := SnapshotVersion(0, 2, 4)
	v, _ := Version(0, 2, 4, 0)
	if sv != v-1 {
		t.Errorf("SnapshotVersion = %d, want %d", sv, v-1)
	}
}

func TestFileIndex(t *testing.T) {
	tests := []struct {
		name    string
		want    uint32
		wantErr bool
	}{
		{"mysql-bin.000001", 1, false},
		{"mariadb-bin.123456", 123456, false},
		{"a.b.1048575", MaxFileIndex, false},
		{"bin.1048576", 0, true},
		{"bin.", 0, true},
		{"bin", 0, true},
		{"bin.00x1", 0, true},
		{"bin.-1", 0, true},
		{"bin.99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := FileIndex(tt.name)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("FileIndex(%q) = %d, %v", tt.name, got, err)
		}
	}
}

func TestQueueFor(t *testing.T) {
	counts := make([]int, 8)
	for i := 0; i < 8000; i++ {
		q := QueueFor("shop", "orders", string(rune('a'+i%26))+string(rune(i)), 8)
		if q < 0 || q >= 8 {
			t.Fatalf("queue %d out of range", q)
		}
		counts[q]++
	}
	for q, c := range counts {
		if c < 500 {
			t.Errorf("queue %d got %d of 8000 keys: hash badly spread", q, c)
		}
	}
	// fnv32a("shop.orders\x001") computed independently.
	if got := QueueFor("shop", "orders", "1", 1<<31); got != int(fnv32a("shop.orders\x001")%(1<<31)) {
		t.Errorf("QueueFor does not hash ShardingKey with fnv32a")
	}
	if QueueFor("a", "b", "c", 0) != 0 {
		t.Error("zero queues")
	}
}

func fnv32a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
