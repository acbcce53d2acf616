package event

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
)

// valuesPair returns two equal messages of n random rows, one built with AddValues and one with
// Data maps.
func valuesPair(rng *rand.Rand, pk []string, n int) (vals, maps *Message) {
	cols := []string{"a", "b", "c\"q", "d"}
	head := func() *Message {
		return &Message{Database: "d", Table: "t", PKNames: pk, Type: TypeInsert,
			MySQLType: map[string]string{"a": "int", "b": "varchar(9)", "c\"q": "text", "d": "int"},
			Ferry:     &Meta{Format: Format, Columns: cols}}
	}
	vals, maps = head(), head()
	texts := []string{"", "x", "1", "é\n\"", "~", "2:ab"}
	for i := 0; i < n; i++ {
		row := make([]*string, len(cols))
		img := map[string]*string{}
		for j, c := range cols {
			if j > 0 && rng.IntN(4) == 0 {
				img[c] = nil
				continue
			}
			s := texts[rng.IntN(len(texts))]
			if j == 0 {
				s = strconv.Itoa(i)
			}
			row[j], img[c] = &s, &s
		}
		vals.AddValues(row)
		maps.Data = append(maps.Data, img)
		vals.Ferry.Versions = append(vals.Ferry.Versions, uint64(i+1))
		maps.Ferry.Versions = append(maps.Ferry.Versions, uint64(i+1))
	}
	return vals, maps
}

func TestAddValuesMatchesMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		pk   []string
	}{{"one key column", []string{"a"}}, {"two key columns", []string{"d", "a"}}, {"no key", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			for round := 0; round < 50; round++ {
				vals, maps := valuesPair(rng, tc.pk, 1+rng.IntN(5))
				if vals.NumRows() != maps.NumRows() {
					t.Fatalf("NumRows %d, maps %d", vals.NumRows(), maps.NumRows())
				}
				for i := 0; i < maps.NumRows(); i++ {
					if a, b := vals.RowKey(i), maps.RowKey(i); a != b {
						t.Fatalf("RowKey(%d) %q, maps %q", i, a, b)
					}
				}
				if (vals.Validate() == nil) != (maps.Validate() == nil) {
					t.Fatalf("Validate %v, maps %v", vals.Validate(), maps.Validate())
				}
				a, errA := AppendJSON(nil, vals)
				b, errB := AppendJSON(nil, maps)
				if errA != nil || errB != nil || !bytes.Equal(a, b) {
					t.Fatalf("AppendJSON\n%s (%v)\nmaps\n%s (%v)", a, errA, b, errB)
				}
				vals.AddImage(maps.Data[0]) // back to maps: every image converted
				if !reflect.DeepEqual(vals.Data[:len(vals.Data)-1], maps.Data) || vals.cols != nil {
					t.Fatalf("AddImage after AddValues: %v, want %v", vals.Data, maps.Data)
				}
			}
		})
	}
}

func TestValuesChecked(t *testing.T) {
	bad := "\xff"
	one := "1"
	for _, tc := range []struct {
		name string
		row  []*string
	}{
		{"too few values", []*string{&one}},
		{"null key", []*string{nil, &one, &one, &one}},
		{"invalid UTF-8", []*string{&one, &bad, nil, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := valuesPair(rand.New(rand.NewPCG(1, 1)), []string{"a"}, 0)
			m.AddValues(tc.row)
			m.Ferry.Versions = []uint64{1}
			if err := m.Validate(); err == nil {
				t.Fatal("Validate accepted the row")
			}
			if _, err := Encode(m); err == nil {
				t.Fatal("Encode accepted the row")
			}
		})
	}
}
