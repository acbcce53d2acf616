package replayer

import (
	"errors"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// TestTableOfCarriesParsedTypes checks that a table shape carries every column's parsed type
// (the sinks plan from it without parsing the text again) and that a type that does not parse is
// refused as a malformed message when the shape is built, not when a sink meets it.
func TestTableOfCarriesParsedTypes(t *testing.T) {
	msg := func(types map[string]string) *event.Message {
		return &event.Message{Database: "shop", Table: "t", PKNames: []string{"id"}, MySQLType: types,
			Ferry: &event.Meta{Columns: []string{"id", "amount"}}}
	}
	tests := []struct {
		name      string
		types     map[string]string
		wantBase  string
		malformed bool
	}{
		{"decimal", map[string]string{"id": "bigint(20) unsigned", "amount": "decimal(12,2)"}, "decimal", false},
		{"enum", map[string]string{"id": "bigint(20) unsigned", "amount": "enum('a','b')"}, "enum", false},
		{"unparsable", map[string]string{"id": "bigint(20) unsigned", "amount": "decimal(x"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := newTableCache().tableOf(msg(tc.types))
			if tc.malformed {
				if !errors.Is(err, event.ErrMalformed) {
					t.Fatalf("tableOf = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := tbl.Columns[1]
			if got.Type.Base != tc.wantBase {
				t.Fatalf("column type base %q, want %q", got.Type.Base, tc.wantBase)
			}
			if id := tbl.Columns[0].Type; id.Base != "bigint" || !id.Unsigned {
				t.Fatalf("id type %+v, want bigint unsigned", id)
			}
			parsed, err := got.Parsed()
			if err != nil || parsed.Base != tc.wantBase {
				t.Fatalf("Parsed() = %+v, %v", parsed, err)
			}
		})
	}
}
