package event

import (
	"fmt"
	"sync"
	"unicode/utf8"
)

// A producer that sends what it builds (the publisher's grouper) can encode each data image
// into the message's JSON text when it adds the image (EncodeValues, EncodeImage), while the
// image's values are still in the CPU's caches; the message then keeps the text, not the rows.
// Encoding them later, in the send lane, read every value through two pointers the caches had
// long dropped: 36% of the tailer's CPU in a catch-up profile (2026-12-07). AppendJSON writes
// the text as it is. An encoded message's images cannot be read back (Images, ValueRows and
// RowKey(i > 0) do not see them) and Validate does not look into them: the encoder refuses
// invalid UTF-8 and writes every column of ferry.columns.

// encodedRows is the encoded form of a message's data images: their JSON objects,
// comma-separated, in chunks of about encChunk bytes (an image is never split) from a pool, so
// a growing message copies nothing and a publisher that recycles its messages (RecycleRows)
// allocates no text in a steady stream.
type encodedRows struct {
	full [][]byte // chunks before w.b
	w    jw       // w.b: the chunk being written
	n    int      // images
	key0 string   // RowKey(0)
	keys []string // each column of Ferry.Columns encoded as an object key
}

// encChunk is the size at which a message's encoded text moves on to a new chunk.
const encChunk = 64 << 10

var encChunks = sync.Pool{New: func() any { return make([]byte, 0, encChunk+encChunk/4) }}

// RecycleRows is DropRows that also hands the encoded images' text back for reuse: for the
// message's owner once the text is written out (AppendJSON), when no copy of the message
// will be written again.
func (m *Message) RecycleRows() {
	if e := m.enc; e != nil {
		for _, c := range append(e.full, e.w.b) {
			encChunks.Put(c[:0]) // boxing the slice header costs one small allocation per 64 KiB chunk
		}
		e.full, e.w.b = nil, nil
	}
	m.DropRows()
}

// appendText appends the encoded images' text to dst.
func (e *encodedRows) appendText(dst []byte) []byte {
	for _, c := range e.full {
		dst = append(dst, c...)
	}
	return append(dst, e.w.b...)
}

// EncodeValues appends a data image given as its values in Ferry.Columns order (nil is SQL
// NULL), encoded at once. It fails, adding nothing, on a message holding images in another
// form, on a value count that does not match the columns, and on a value that is not valid
// UTF-8.
func (m *Message) EncodeValues(vals []*string) error {
	e, err := m.encoder()
	if err != nil {
		return err
	}
	if len(vals) != len(m.Ferry.Columns) {
		return malformed("%s.%s: data image has %d values for %d columns", m.Database, m.Table, len(vals), len(m.Ferry.Columns))
	}
	err = e.add(m, func(w *jw) { w.valueImage(vals, e.keys) }, func() string {
		return ValuesKey(m.PKNames, m.Ferry.Columns, vals)
	})
	if err != nil {
		return m.nameInvalidValue(vals, err)
	}
	return nil
}

// nameInvalidValue returns, for an encoding error of vals, an error that names the first value
// that is not valid UTF-8 and its row's key, or err if every value is valid UTF-8.
func (m *Message) nameInvalidValue(vals []*string, err error) error {
	for j, v := range vals {
		if v != nil && !utf8.ValidString(*v) {
			return malformed("%s.%s: column %s of the row with key %s is not valid UTF-8 (encode binary values with EncodeBytes)",
				m.Database, m.Table, m.Ferry.Columns[j], ValuesKey(m.PKNames, m.Ferry.Columns, vals))
		}
	}
	return err
}

// EncodeImage is EncodeValues for an image given as a map (keys in Ferry.Columns order, then
// any others sorted, as AppendJSON writes maps).
func (m *Message) EncodeImage(row map[string]*string) error {
	e, err := m.encoder()
	if err != nil {
		return err
	}
	if row == nil {
		return malformed("%s.%s: data image is null", m.Database, m.Table)
	}
	if err := checkImage(m, "data", e.n, row); err != nil {
		return err
	}
	return e.add(m, func(w *jw) { w.image(row, m.Ferry.Columns, e.keys) }, func() string {
		return ImageKey(m.PKNames, m.Ferry.Columns, row)
	})
}

// encoder returns m's encoded images, started if m has none yet.
func (m *Message) encoder() (*encodedRows, error) {
	if m.Ferry == nil {
		return nil, malformed("missing \"ferry\" object")
	}
	if m.Data != nil || m.cols != nil {
		return nil, malformed("%s.%s: cannot encode an image into a message holding images in another form", m.Database, m.Table)
	}
	if m.enc == nil {
		w := &jw{}
		keys := w.colKeys(m.Ferry.Columns)
		if w.err != nil {
			return nil, w.err
		}
		m.enc = &encodedRows{keys: keys, w: jw{b: encChunks.Get().([]byte)}}
	}
	return m.enc, nil
}

// add appends one image that write encodes; key0 gives the first image's key. On an encoding
// error the text is cut back to what it was.
func (e *encodedRows) add(m *Message, write func(*jw), key0 func() string) error {
	if len(e.w.b) >= encChunk {
		e.full = append(e.full, e.w.b)
		e.w.b = encChunks.Get().([]byte)
	}
	start := len(e.w.b)
	if e.n > 0 {
		e.w.b = append(e.w.b, ',')
	}
	write(&e.w)
	if err := e.w.err; err != nil {
		e.w.b, e.w.err = e.w.b[:start], nil
		return fmt.Errorf("%s.%s: %w", m.Database, m.Table, err)
	}
	if e.n == 0 {
		e.key0 = key0()
	}
	e.n++
	return nil
}
