package publish

import (
	"bytes"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// TestMarshalMessageBatchFraming checks the vendored client's one-buffer batch body (a Ferry
// patch) against upstream's definition: every message's Marshal() framing, concatenated.
func TestMarshalMessageBatchFraming(t *testing.T) {
	tests := []struct {
		name   string
		bodies []string
	}{
		{"one", []string{`{"id":1}`}},
		{"several", []string{`{"id":1}`, "", `{"id":3,"data":[{"a":"\u00e9"}]}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var msgs []*primitive.Message
			var want []byte
			for i, b := range tc.bodies {
				m := primitive.NewMessage("topic", []byte(b))
				// One property only: MarshallProperties walks a map, so two calls may order
				// several properties differently.
				m.WithTag("orders" + b)
				m.Flag = int32(i)
				msgs = append(msgs, m)
				want = append(want, m.Marshal()...)
			}
			if got := producer.MarshalMessageBatch(msgs...); !bytes.Equal(got, want) {
				t.Fatalf("batch body differs from the concatenated Marshal() framing:\n got %q\nwant %q", got, want)
			}
		})
	}
}
