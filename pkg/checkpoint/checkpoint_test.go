package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	if s, err := Load(dir); s != nil || err != nil {
		t.Fatalf("empty dir: %v, %v", s, err)
	}
	want := State{File: "mysql-bin.000002", Pos: 1234, GTID: "0-1-9", Epoch: 2, ServerID: 1,
		UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for i := 0; i < 3; i++ {
		want.Pos += uint64(i)
		if err := Save(dir, want); err != nil {
			t.Fatal(err)
		}
		got, err := Load(dir)
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Fatalf("Load = %+v, %v; want %+v", got, err, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for name, body := range map[string]string{"garbage": "{", "empty position": `{"pos":4}`} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, FileName), []byte(body), 0o644)
			if _, err := Load(dir); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestLockExcludes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Acquire = %v, want ErrLocked", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}
