package event

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A message's data images are either maps (Data) or, for producers and consumers that have them
// in column order, values in Ferry.Columns order (AddValues, DecodeColumnsShared): row i's value
// of column Ferry.Columns[j] is vals[i][j]. Values save a map per row, which was a fifth of
// the tailer's and of the replayer's CPU. A message holds one form at a time; AppendJSON,
// RowKey, NumRows and Validate read either. A third form, for producers only, holds the images
// already encoded (encoded.go).

// AddValues appends a data image given as its values in Ferry.Columns order (nil is SQL NULL);
// the message keeps the slice. On a message that already has Data maps it is added as a map.
func (m *Message) AddValues(vals []*string) {
	if m.Data != nil {
		m.Data = append(m.Data, m.valuesMap(vals))
		return
	}
	m.cols = append(m.cols, vals)
}

// AddImage appends a data image given as a map; images added with AddValues become maps first.
func (m *Message) AddImage(row map[string]*string) {
	if m.cols != nil {
		m.Data = make([]map[string]*string, 0, len(m.cols)+1)
		for _, vals := range m.cols {
			m.Data = append(m.Data, m.valuesMap(vals))
		}
		m.cols = nil
	}
	m.Data = append(m.Data, row)
}

// valuesMap returns the map form of an image given as values.
func (m *Message) valuesMap(vals []*string) map[string]*string {
	row := make(map[string]*string, len(vals))
	for j, v := range vals {
		row[m.Ferry.Columns[j]] = v
	}
	return row
}

// ValueRows returns the data images added with AddValues (or decoded as values), in
// Ferry.Columns order; nil when the message holds its images as Data maps.
func (m *Message) ValueRows() [][]*string { return m.cols }

// Images returns the data images as maps, in either form (built anew from values; for
// inspection, not hot paths).
func (m *Message) Images() []map[string]*string {
	if m.cols == nil {
		return m.Data
	}
	out := make([]map[string]*string, len(m.cols))
	for i, vals := range m.cols {
		out[i] = m.valuesMap(vals)
	}
	return out
}

// NumRows returns the number of data images, in any form.
func (m *Message) NumRows() int {
	n := len(m.Data) + len(m.cols)
	if m.enc != nil {
		n += m.enc.n
	}
	return n
}

// DropRows removes the data and old images (for a producer done with them once encoded).
func (m *Message) DropRows() { m.Data, m.Old, m.cols, m.enc = nil, nil, nil, nil }

// ValuesKey is RowKey for a row of a message of names (pkNames; all columns when empty) and
// columns cols, given as its values in cols order.
func ValuesKey(pkNames, cols []string, vals []*string) string {
	if len(pkNames) == 1 {
		if v := vals[slices.Index(cols, pkNames[0])]; v != nil {
			return *v
		}
		return "~"
	}
	var b strings.Builder
	if len(pkNames) == 0 { // a table without a key: every column, in order
		for _, v := range vals {
			writeKeyPart(&b, v)
		}
	}
	for _, n := range pkNames {
		writeKeyPart(&b, vals[slices.Index(cols, n)])
	}
	return b.String()
}

// writeKeyPart writes one value of a multi-column key (KeyOf).
func writeKeyPart(b *strings.Builder, v *string) {
	if v == nil {
		b.WriteByte('~')
		return
	}
	b.WriteString(strconv.Itoa(len(*v)))
	b.WriteByte(':')
	b.WriteString(*v)
}

// checkValues checks images given as values: one value per column, primary key values not
// null, and, unless the values are known or will be checked to be valid UTF-8 (utf8Known:
// decoded from a valid body, or about to be encoded), valid UTF-8 values.
func (m *Message) checkValues(utf8Known bool) error {
	for i, row := range m.cols {
		if len(row) != len(m.Ferry.Columns) {
			return malformed("%s.%s: data[%d] has %d values for %d columns", m.Database, m.Table, i, len(row), len(m.Ferry.Columns))
		}
		for j, v := range row {
			if !utf8Known && v != nil && !utf8.ValidString(*v) {
				return malformed("%s.%s: data[%d].%s is not valid UTF-8 (encode binary values with EncodeBytes)", m.Database, m.Table, i, m.Ferry.Columns[j])
			}
		}
	}
	for _, pk := range m.PKNames {
		j := slices.Index(m.Ferry.Columns, pk)
		for i, row := range m.cols {
			if row[j] == nil {
				return malformed("%s.%s: data[%d] primary key column %q is null or missing", m.Database, m.Table, i, pk)
			}
		}
	}
	return nil
}
