package backfilltest

import (
	"context"
	"fmt"

	"github.com/ferry-cdc/ferry/pkg/backfill"
	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/sink"
)

// SinkPublisher applies backfill messages straight to sinks instead of RocketMQ, for tests (it
// lives here so that the tailer binary, which links pkg/backfill, does not link the sinks). It converts messages the way the replayer
// does (one sink.Row per data row, columns in ferry.columns order).
type SinkPublisher struct {
	Sinks []sink.Sink
}

var _ backfill.Publisher = (*SinkPublisher)(nil)

// Queues returns 1: placement does not matter when applying directly.
func (p *SinkPublisher) Queues(context.Context) (int, error) { return 1, nil }

// Publish applies all messages as one batch to every sink.
func (p *SinkPublisher) Publish(ctx context.Context, msgs []backfill.Outgoing) error {
	b := &sink.Batch{}
	for _, o := range msgs {
		if err := appendRows(b, o.Msg); err != nil {
			return err
		}
	}
	for _, s := range p.Sinks {
		if err := s.Apply(ctx, b); err != nil {
			return fmt.Errorf("apply backfill batch: %w", err)
		}
	}
	return nil
}

// appendRows converts the rows of m into sink rows.
func appendRows(b *sink.Batch, m *event.Message) error {
	t := &sink.Table{Database: m.Database, Name: m.Table, PK: m.PKNames}
	for _, c := range m.Ferry.Columns {
		t.Columns = append(t.Columns, sink.Column{Name: c, MySQLType: m.MySQLType[c]})
	}
	op := sink.OpInsert
	switch m.Type {
	case event.TypeInsert:
	case event.TypeDelete:
		op = sink.OpDelete
	default:
		return fmt.Errorf("sink publisher: unexpected message type %s", m.Type)
	}
	for i, d := range m.Images() {
		vals := make([]*string, len(t.Columns))
		for j, c := range t.Columns {
			vals[j] = d[c.Name]
		}
		b.Rows = append(b.Rows, sink.Row{Table: t, Op: op, Version: m.Ferry.Versions[i], Values: vals})
	}
	return nil
}
