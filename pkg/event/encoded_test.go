package event

import (
	"errors"
	"strings"
	"testing"
)

// encodedBase is a row message header with the given key columns.
func encodedBase(pk ...string) *Message {
	return &Message{Database: "shop", Table: "orders", PKNames: pk, Type: TypeInsert,
		Ferry: &Meta{Format: Format, Columns: []string{"id", "note", "n"}}}
}

// TestEncodedMatchesValues: images encoded as they are added (EncodeValues, EncodeImage, mixed)
// give the body AppendJSON gives for the same images added as values, the same row count and
// the same first key; the body decodes back to the images.
func TestEncodedMatchesValues(t *testing.T) {
	rows := [][]*string{
		{Str("1"), Str(`quote " and \ and é`), Str("0")},
		{Str("2"), Str("line\nbreak\u2028"), Str("7")},
		{Str("3"), nil, Str("")},
	}
	tests := []struct {
		name string
		pk   []string
		add  func(m *Message, i int, vals []*string) error
	}{
		{"values", []string{"id"}, func(m *Message, _ int, v []*string) error { return m.EncodeValues(v) }},
		{"maps", []string{"id"}, func(m *Message, _ int, v []*string) error { return m.EncodeImage(m.valuesMap(v)) }},
		{"mixed, two-column key", []string{"id", "n"}, func(m *Message, i int, v []*string) error {
			if i%2 == 0 {
				return m.EncodeValues(v)
			}
			return m.EncodeImage(m.valuesMap(v))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, got := encodedBase(tc.pk...), encodedBase(tc.pk...)
			for i, vals := range rows {
				want.AddValues(vals)
				want.Ferry.Versions = append(want.Ferry.Versions, uint64(i+1))
				if err := tc.add(got, i, vals); err != nil {
					t.Fatal(err)
				}
			}
			got.Ferry.Versions = want.Ferry.Versions
			wb, werr := AppendJSON(nil, want)
			gb, gerr := AppendJSON(nil, got)
			if werr != nil || gerr != nil || string(gb) != string(wb) {
				t.Fatalf("encoded body differs (%v, %v):\n got %s\nwant %s", gerr, werr, gb, wb)
			}
			if got.NumRows() != len(rows) || got.RowKey(0) != want.RowKey(0) {
				t.Fatalf("rows %d key %q, want %d %q", got.NumRows(), got.RowKey(0), len(rows), want.RowKey(0))
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("encoded message does not validate: %v", err)
			}
			back, err := Decode(gb)
			if err != nil {
				t.Fatalf("encoded body does not decode: %v", err)
			}
			if back.NumRows() != len(rows) || *back.Data[1]["note"] != *rows[1][1] {
				t.Fatalf("decoded back as %d rows, %v", back.NumRows(), err)
			}
			got.DropRows()
			if got.NumRows() != 0 {
				t.Fatalf("DropRows left %d rows", got.NumRows())
			}
		})
	}
}

// TestEncodeRefuses: images that would not round-trip, or a message in another form, are
// refused with ErrMalformed, and the message's earlier images are kept as they were.
func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name string
		add  func(m *Message) error
		want string
	}{
		{"invalid UTF-8", func(m *Message) error { return m.EncodeValues([]*string{Str("9"), Str("\xff"), nil}) }, "column note of the row with key 9 is not valid UTF-8"},
		{"too few values", func(m *Message) error { return m.EncodeValues([]*string{Str("9")}) }, "1 values for 3 columns"},
		{"column not in ferry.columns", func(m *Message) error {
			return m.EncodeImage(map[string]*string{"id": Str("9"), "other": nil})
		}, `column "other"`},
		{"null image", func(m *Message) error { return m.EncodeImage(nil) }, "data image is null"},
		{"message holding values", func(m *Message) error {
			v := encodedBase("id")
			v.AddValues([]*string{Str("9"), nil, nil})
			return v.EncodeValues([]*string{Str("9"), nil, nil})
		}, "another form"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := encodedBase("id")
			if err := m.EncodeValues([]*string{Str("1"), Str("kept"), nil}); err != nil {
				t.Fatal(err)
			}
			before := string(m.enc.appendText(nil))
			err := tc.add(m)
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrMalformed naming %q", err, tc.want)
			}
			if string(m.enc.appendText(nil)) != before || m.NumRows() != 1 {
				t.Fatalf("after the refusal the message holds %d rows: %s (was %s)", m.NumRows(), m.enc.appendText(nil), before)
			}
			if err := m.EncodeValues([]*string{Str("2"), nil, nil}); err != nil || m.NumRows() != 2 {
				t.Fatalf("message unusable after a refused image: %v", err)
			}
		})
	}
}
