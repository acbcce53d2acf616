package publish

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// TestPublishAPI: the backfill's entry point places rows like the tailer, keeps versions and the
// snapshot flag, sends DDL to every queue and returns after SEND_OK.
func TestPublishAPI(t *testing.T) {
	rec := &publishtest.Recorder{}
	pub := testPublisher(t, rec, 3, 2, 1<<20, 1)
	rows := event.Message{Database: "shop", Table: "orders", PKNames: []string{"id"}, Type: event.TypeInsert,
		Ferry: &event.Meta{Format: 1, Snapshot: true, Columns: []string{"id", "v"}}}
	for i := 0; i < 10; i++ {
		rows.Data = append(rows.Data, map[string]*string{"id": event.Str(string(rune('a' + i))), "v": nil})
		rows.Ferry.Versions = append(rows.Ferry.Versions, 99)
	}
	ddl := event.Message{Database: "shop", Table: "orders", IsDDL: true, Type: event.TypeAlter, SQL: "ALTER TABLE orders ADD x INT",
		Ferry: &event.Meta{Format: 1, Versions: []uint64{100}}}
	if err := pub.Publish(context.Background(), []event.Message{rows, ddl}); err != nil {
		t.Fatal(err)
	}
	got, ddls := publishtest.Flatten(rec.Snapshot())
	if len(got) != 10 || len(ddls) != 3 {
		t.Fatalf("rows %d ddl %d, want 10 and 3", len(got), len(ddls))
	}
	for _, r := range got {
		if r.Queue != event.QueueFor("shop", "orders", r.Key, 3) || r.Version != 99 {
			t.Errorf("row %s on queue %d version %d", r.Key, r.Queue, r.Version)
		}
	}
	for _, r := range rec.Snapshot() {
		if !r.Msg.IsDDL && (len(r.Msg.Data) > 2 || !r.Msg.Ferry.Snapshot) {
			t.Errorf("message with %d rows, snapshot=%v", len(r.Msg.Data), r.Msg.Ferry.Snapshot)
		}
	}
	bad := rows
	bad.Ferry = &event.Meta{Format: 1, Columns: []string{"id"}}
	if err := pub.Publish(context.Background(), []event.Message{bad}); !errors.Is(err, event.ErrMalformed) {
		t.Errorf("invalid message: err = %v", err)
	}
}

// TestPublishRefusesInvalidUTF8: a value that is not valid UTF-8 is refused with ErrMalformed
// naming its column, whether the images are values (checked by the encoder only) or maps
// (checked by Validate), and nothing of that message is sent.
func TestPublishRefusesInvalidUTF8(t *testing.T) {
	tests := []struct {
		name string
		add  func(m *event.Message, id, v string)
		want string
	}{
		{"values", func(m *event.Message, id, v string) { m.AddValues([]*string{event.Str(id), event.Str(v)}) },
			"column v of the row with key 2 is not valid UTF-8"},
		{"maps", func(m *event.Message, id, v string) {
			m.Data = append(m.Data, map[string]*string{"id": event.Str(id), "v": event.Str(v)})
		}, "data[1].v is not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &publishtest.Recorder{}
			pub := testPublisher(t, rec, 1, 10, 1<<20, 1)
			m := event.Message{Database: "shop", Table: "orders", PKNames: []string{"id"}, Type: event.TypeInsert,
				Ferry: &event.Meta{Format: 1, Snapshot: true, Columns: []string{"id", "v"}, Versions: []uint64{9, 9}}}
			tc.add(&m, "1", "ok")
			tc.add(&m, "2", "bad \xff")
			err := pub.Publish(t.Context(), []event.Message{m})
			if !errors.Is(err, event.ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrMalformed containing %q", err, tc.want)
			}
			if got := rec.Snapshot(); len(got) != 0 {
				t.Fatalf("sent %d messages of a refused message", len(got))
			}
		})
	}
}
