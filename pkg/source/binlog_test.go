package source

import (
	"errors"
	"slices"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestBinlogReads reads the shared source's binlog head, files, events and server id, and checks
// them against each other: the head is in the newest file, NextBinlog walks the file list, and
// the newest file's events end at or after the head read before them.
func TestBinlogReads(t *testing.T) {
	st := testenv.Get(t)
	db := st.OpenSource(t, "")
	ctx := t.Context()
	h, err := ReadHead(ctx, db, true)
	if err != nil {
		t.Fatal(err)
	}
	if h.File == "" || h.Pos < 4 || h.GTID == "" {
		t.Fatalf("head %+v: want a file, a position >= 4 and a GTID position (MariaDB)", h)
	}
	files, err := BinlogFiles(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 || !slices.Contains(files, h.File) {
		t.Fatalf("binlog files %v do not hold the head's %s", files, h.File)
	}
	tests := []struct {
		name, file, want string
	}{
		{"newest file has no next", files[len(files)-1], ""},
		{"unknown file has no next", "no-such-bin.000001", ""},
	}
	if len(files) > 1 {
		tests = append(tests, struct{ name, file, want string }{"next of the oldest", files[0], files[1]})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NextBinlog(ctx, db, tt.file)
			if err != nil || got != tt.want {
				t.Fatalf("NextBinlog(%s) = %q, %v; want %q", tt.file, got, err, tt.want)
			}
		})
	}
	end, clean, err := ValidEnd(ctx, db, h.File)
	if err != nil || !clean || end < h.Pos {
		t.Fatalf("ValidEnd(%s) = %d, %v, %v; want clean, at or after the head %d", h.File, end, clean, err, h.Pos)
	}
	if id, err := ServerID(ctx, db); err != nil || id == 0 {
		t.Fatalf("ServerID = %d, %v", id, err)
	}
}

// TestBinlogErrorsKeepTheServerCode: errors wrap the driver's, so callers (and ValidEnd, which
// narrows a page on ERROR 1220) can classify them by code.
func TestBinlogErrorsKeepTheServerCode(t *testing.T) {
	st := testenv.Get(t)
	db := st.OpenSource(t, "")
	_, _, err := binlogEventsPage(t.Context(), db, "no-such-bin.000001", 4, 10)
	var me *gomysql.MySQLError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "no-such-bin.000001") {
		t.Fatalf("events of a missing file: %v; want a wrapped *mysql.MySQLError naming the file", err)
	}
	if errorCode(err) != 1220 || errorCode(errors.New("plain")) != 0 {
		t.Fatalf("errorCode = %d for %v; want 1220", errorCode(err), err)
	}
}
