package mq_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/ferry-cdc/ferry/pkg/mq"
)

// appendBody returns AppendFrame's body writer for a fixed body.
func appendBody(body string) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) { return append(b, body...), nil }
}

// TestBatchFraming checks batch bodies against upstream's definition, every message's
// Marshal() framing concatenated: the vendored client's one-buffer producer.MarshalMessageBatch
// (a Ferry patch) and AppendFrame, which builds them in place. Unbatch takes them apart again.
func TestBatchFraming(t *testing.T) {
	tests := []struct {
		name   string
		bodies []string
	}{
		{"one", []string{`{"id":1}`}},
		{"several", []string{`{"id":1}`, "", `{"id":3,"data":[{"a":"\u00e9"}]}`}},
		{"large", []string{strings.Repeat("x", 70000), "y"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var msgs []*primitive.Message
			var want, got []byte
			for _, b := range tc.bodies {
				m := primitive.NewMessage("topic", []byte(b))
				m.WithTag("orders" + b[:min(len(b), 8)]) // one property: a map's order is random
				msgs = append(msgs, m)
				want = append(want, m.Marshal()...)
				var err error
				if got, err = mq.AppendFrame(got, m.MarshallProperties(), appendBody(b)); err != nil {
					t.Fatal(err)
				}
			}
			if client := producer.MarshalMessageBatch(msgs...); !bytes.Equal(client, want) {
				t.Fatalf("client's batch body differs from the concatenated Marshal() framing:\n got %q\nwant %q", client, want)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendFrame's batch body differs from the concatenated Marshal() framing:\n got %q\nwant %q", got, want)
			}
			parts, err := mq.Unbatch([]*primitive.Message{mq.NewBatch("topic", 3, got)})
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != len(msgs) {
				t.Fatalf("Unbatch gave %d messages, want %d", len(parts), len(msgs))
			}
			for i, p := range parts {
				if string(p.Body) != tc.bodies[i] || p.GetTags() != msgs[i].GetTags() || p.Queue.QueueId != 3 || p.Topic != "topic" {
					t.Errorf("message %d: body %.20q tag %q queue %d, want %.20q %q 3", i, p.Body, p.GetTags(), p.Queue.QueueId, tc.bodies[i], msgs[i].GetTags())
				}
			}
		})
	}
}

// TestAppendFrameErrors: a failing body writer or oversized properties leave dst as it was.
func TestAppendFrameErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name  string
		props string
		body  func([]byte) ([]byte, error)
	}{
		{"body fails", "TAGS\x01t\x02", func(b []byte) ([]byte, error) { return append(b, "partial"...), boom }},
		{"properties too long", strings.Repeat("p", 70000), appendBody("{}")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("earlier frames")
			out, err := mq.AppendFrame(dst, tc.props, tc.body)
			if err == nil {
				t.Fatal("no error")
			}
			if string(out) != "earlier frames" {
				t.Fatalf("dst changed to %q", out)
			}
		})
	}
}

// TestUnbatchMalformed: bodies that do not follow the batch format are refused with
// ErrBatchBody; a message that is not a batch passes through as it is.
func TestUnbatchMalformed(t *testing.T) {
	good, err := mq.AppendFrame(nil, "TAGS\x01t\x02", appendBody(`{"id":1}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body []byte
	}{
		{"truncated header", good[:10]},
		{"truncated message", good[:len(good)-1]},
		{"total too small", append([]byte{0, 0, 0, 22}, good[4:]...)},
		{"trailing bytes", append(append([]byte(nil), good...), 1, 2, 3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := mq.Unbatch([]*primitive.Message{mq.NewBatch("t", 0, tc.body)}); !errors.Is(err, mq.ErrBatchBody) {
				t.Fatalf("error %v, want ErrBatchBody", err)
			}
		})
	}
	plain := primitive.NewMessage("t", []byte("x"))
	if parts, err := mq.Unbatch([]*primitive.Message{plain}); err != nil || len(parts) != 1 || parts[0] != plain {
		t.Fatalf("a plain message came back as %v, %v", parts, err)
	}
}

// FuzzUnbatch: any body either is refused or comes apart into messages whose bodies and
// framing fit in it; a body built by AppendFrame comes apart into the bodies it was built from.
func FuzzUnbatch(f *testing.F) {
	f.Add([]byte(`{"id":1}`), []byte(""), []byte{0, 0, 0, 22})
	f.Add([]byte("a"), []byte("bc"), []byte{})
	f.Fuzz(func(t *testing.T, b1, b2, garbage []byte) {
		body, _ := mq.AppendFrame(nil, "TAGS\x01t\x02", appendBody(string(b1)))
		body, _ = mq.AppendFrame(body, "", appendBody(string(b2)))
		parts, err := mq.Unbatch([]*primitive.Message{mq.NewBatch("t", 0, body)})
		if err != nil || len(parts) != 2 || !bytes.Equal(parts[0].Body, b1) || !bytes.Equal(parts[1].Body, b2) {
			t.Fatalf("built batch came apart as %d messages, %v", len(parts), err)
		}
		parts, err = mq.Unbatch([]*primitive.Message{mq.NewBatch("t", 0, append(body, garbage...))})
		if err != nil {
			return
		}
		framed := 0
		for _, p := range parts {
			framed += 22 + len(p.Body)
		}
		if framed > len(body)+len(garbage) {
			t.Fatalf("%d messages need %d bytes, body had %d", len(parts), framed, len(body)+len(garbage))
		}
	})
}
