package mysqlsink

import (
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// TestCopyTextTypesHoldUTF8: a latin1 TINYTEXT/TEXT/MEDIUMTEXT value converted to utf8mb4 can
// take twice (up to four times) its bytes; the copy column must hold it.
func TestCopyTextTypesHoldUTF8(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"tinytext", "`c` text NULL"},
		{"text", "`c` mediumtext NULL"},
		{"mediumtext", "`c` longtext NULL"},
		{"longtext", "`c` longtext NULL"},
		{"varchar(20)", "`c` varchar(20) NULL"},
		{"tinyblob", "`c` tinyblob NULL"},
	} {
		t.Run(tc.src, func(t *testing.T) {
			q, err := CopyTableSQL("copy", &sink.Table{Database: "src", Name: "t", PK: []string{"id"},
				Columns: []sink.Column{{Name: "id", MySQLType: "int(11)"}, {Name: "c", MySQLType: tc.src}}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(q, tc.want) {
				t.Errorf("copy of %s:\n%s\nwant a column %q", tc.src, q, tc.want)
			}
		})
	}
}
