// Ferry patch (see FERRY-PATCH.md): a batch column whose wire data the caller encodes.

package clickhouse

import (
	"fmt"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
)

// NativeColumn is one column's data already in ClickHouse's native wire format: Rows values
// that EncodeColumn writes exactly as the server's column type expects them (ch-go's proto
// columns are such types).
type NativeColumn interface {
	Rows() int
	EncodeColumn(b *proto.Buffer)
}

// NativeColumnSetter is implemented by the batches of the native protocol.
type NativeColumnSetter interface {
	// SetNativeColumn makes column idx of the batch send col's data under the server's name
	// and type, which must be typ (the type col's data is encoded for). The column must be
	// empty and must not need a state prefix (LowCardinality, Object); the batch reads col
	// only while Send runs and keeps no reference after it.
	SetNativeColumn(idx int, typ string, col NativeColumn) error
}

var _ NativeColumnSetter = (*batch)(nil)

// SetNativeColumn implements NativeColumnSetter.
func (b *batch) SetNativeColumn(idx int, typ string, col NativeColumn) error {
	if b.sent {
		return ErrBatchAlreadySent
	}
	if idx < 0 || idx >= len(b.block.Columns) {
		return fmt.Errorf("clickhouse: set native column: invalid column index %d", idx)
	}
	orig := b.block.Columns[idx]
	if n, ok := orig.(*nativeColumn); ok {
		orig = n.Interface
	}
	if string(orig.Type()) != typ {
		return fmt.Errorf("clickhouse: set native column %s: the server's type is %s, not %s", orig.Name(), orig.Type(), typ)
	}
	if orig.Rows() != 0 {
		return fmt.Errorf("clickhouse: set native column %s: %d rows already appended", orig.Name(), orig.Rows())
	}
	if cs, ok := orig.(column.CustomSerialization); ok { // Nullable wraps it; only some types write one
		var prefix proto.Buffer
		if err := cs.WriteStatePrefix(&prefix); err != nil || len(prefix.Buf) != 0 {
			return fmt.Errorf("clickhouse: set native column %s: type %s needs a state prefix", orig.Name(), orig.Type())
		}
	}
	b.block.Columns[idx] = &nativeColumn{Interface: orig, data: col}
	return nil
}

// nativeColumn is a block column with the server's name and type whose rows and wire data
// come from a NativeColumn.
type nativeColumn struct {
	column.Interface
	data NativeColumn
}

func (c *nativeColumn) Rows() int { return c.data.Rows() }

func (c *nativeColumn) Encode(b *proto.Buffer) { c.data.EncodeColumn(b) }

// Reset drops the caller's data; the column is empty again.
func (c *nativeColumn) Reset() { c.data = emptyNative{} }

type emptyNative struct{}

func (emptyNative) Rows() int                  { return 0 }
func (emptyNative) EncodeColumn(*proto.Buffer) {}
