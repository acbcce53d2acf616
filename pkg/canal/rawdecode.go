package canal

import (
	"sync"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// The tailer's rows-event decoder has go-mysql skip the work whose result it would redo or that
// costs more than the value: it decodes each rows event against a copy of its table map in which
//   - each DATETIME2/TIMESTAMP2 column (temporal.go) and each DECIMAL of at most 8 stored bytes
//     (decimal.go) is declared a BIT column of the same byte width, so that go-mysql returns the
//     stored bytes as a big-endian integer (decodeBit) and column.format writes exactly the text
//     go-mysql would have written, without its fmt.Sprintf, time.Format and strings.Builder;
//   - the signedness metadata is dropped: go-mysql rebuilds a map from it for every row (7% of the
//     tailer's CPU), and, with DECIMAL columns retyped, it would no longer line up with the numeric
//     columns. Integers then come back signed, and column.format reads an unsigned column's value
//     as the unsigned integer of the same width (kindUnsigned).
// The rows event keeps the source's table map for every reader after decoding.

// rawDecoder holds the tailer's go-mysql RowsEventDecodeFunc (see above). It may be called from
// several goroutines (go-mysql decodes compressed transaction payloads concurrently).
type rawDecoder struct {
	mu        sync.Mutex
	last, raw *replication.TableMapEvent // the last table map seen and its decoding copy
	// pending holds the row images of events that deferRows decoded only the header of, until
	// the tailer takes them (rowimage.go). go-mysql reads every packet into a new buffer, so the
	// bytes stay valid.
	pending map[*replication.RowsEvent]pendingRows
}

// pendingRows is a rows event's data and the position of its row images in it.
type pendingRows struct {
	data []byte
	pos  int
}

// decode decodes a rows event like RowsEvent.Decode, from the decoding copy of its table map.
func (d *rawDecoder) decode(e *replication.RowsEvent, data []byte) error {
	pos, err := e.DecodeHeader(data)
	if err != nil {
		return err
	}
	return d.decodeRows(e, pendingRows{data: data, pos: pos})
}

// decodeRows decodes the row images of a rows event whose header is decoded, from the decoding
// copy of its table map.
func (d *rawDecoder) decodeRows(e *replication.RowsEvent, p pendingRows) error {
	orig := e.Table
	e.Table = d.rawTable(orig)
	defer func() { e.Table = orig }() // readers of the event see the source's table map
	return e.DecodeData(p.pos, p.data)
}

// deferRows is the tailer's RowsEventDecodeFunc: it decodes the header and keeps the row images
// for the tailer, which reads them itself or has go-mysql decode them (take, decodeRows).
func (d *rawDecoder) deferRows(e *replication.RowsEvent, data []byte) error {
	pos, err := e.DecodeHeader(data)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.pending == nil {
		d.pending = make(map[*replication.RowsEvent]pendingRows)
	}
	d.pending[e] = pendingRows{data: data, pos: pos}
	return nil
}

// take removes and returns e's row images kept by deferRows; ok is false when go-mysql decoded
// them already.
func (d *rawDecoder) take(e *replication.RowsEvent) (p pendingRows, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok = d.pending[e]
	delete(d.pending, e)
	return p, ok
}

// rawBytes returns the byte width of the BIT column that stands in for a column of type typ with
// metadata meta in the decoding copy, or 0 when go-mysql decodes the column itself.
func rawBytes(typ byte, meta uint16) int {
	if typ == mysql.MYSQL_TYPE_NEWDECIMAL {
		return decimalBytes(meta)
	}
	return temporalBytes(typ, meta)
}

// rawTable returns tm, or its decoding copy when it differs. The copy of the last table map is
// kept: go-mysql makes a new table map per table map event, and the rows events of a statement
// follow their table map.
func (d *rawDecoder) rawTable(tm *replication.TableMapEvent) *replication.TableMapEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	if tm == d.last {
		return d.raw
	}
	raw := tm
	if len(tm.SignednessBitmap) > 0 {
		raw = copyTableMap(tm)
		raw.SignednessBitmap = nil
	}
	for i, typ := range tm.ColumnType {
		n := rawBytes(typ, tm.ColumnMeta[i])
		if n == 0 {
			continue
		}
		if raw == tm {
			raw = copyTableMap(tm)
		}
		raw.ColumnType[i], raw.ColumnMeta[i] = mysql.MYSQL_TYPE_BIT, uint16(n)<<8 // n*8 bits: n bytes
	}
	d.last, d.raw = tm, raw
	return raw
}

// copyTableMap copies tm with its own column types and metadata.
func copyTableMap(tm *replication.TableMapEvent) *replication.TableMapEvent {
	cp := *tm
	cp.ColumnType = append([]byte(nil), tm.ColumnType...)
	cp.ColumnMeta = append([]uint16(nil), tm.ColumnMeta...)
	return &cp
}
