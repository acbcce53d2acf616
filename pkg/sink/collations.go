package sink

import (
	"strings"
	"sync"

	"github.com/pingcap/tidb/pkg/parser/charset"
)

// The TiDB parser knows MySQL's collations only: a MariaDB-only collation in a DDL statement
// (utf8mb3_nopad_bin, latin1_swedish_nopad_ci, the uca1400 family of MariaDB 10.10+, ...) failed
// with "Unknown collation" and halted both replayers, although the copies need nothing from the
// collation but its name (the MySQL copy gets the statement's own text back, ClickHouse a String).
// ParseDDL registers such a name with the parser when it belongs to a character set the parser
// knows, then parses again.

// parserMu guards the parser's collation tables: ParseDDL reads them, registration writes them.
var parserMu sync.RWMutex

// nextCollationID is the id given to the next registered collation (ids above MySQL's and
// TiDB's; the parser looks collations up by name when it parses).
var nextCollationID = 4000

// registerCollation makes name known to the parser if it is "<charset>_..." of a character set
// the parser knows, and reports whether it did.
func registerCollation(name string) bool {
	name = strings.ToLower(name)
	cs, _, ok := strings.Cut(name, "_")
	if !ok {
		return false
	}
	parserName := cs
	if cs == "utf8mb3" {
		parserName = charset.CharsetUTF8 // the parser's name for utf8mb3
	}
	if _, err := charset.GetCharsetInfo(parserName); err != nil {
		return false
	}
	parserMu.Lock()
	defer parserMu.Unlock()
	if _, err := charset.GetCollationByName(name); err == nil {
		return true // registered meanwhile
	}
	for {
		if _, err := charset.GetCollationByID(nextCollationID); err != nil {
			break
		}
		nextCollationID++
	}
	pad := "PAD SPACE"
	if strings.Contains(name, "nopad") {
		pad = "NO PAD"
	}
	charset.AddCollation(&charset.Collation{ID: nextCollationID, CharsetName: parserName, Name: name, Sortlen: 1,
		PadAttribute: pad})
	nextCollationID++
	return true
}

// unknownCollation returns the collation name of the parser's "Unknown collation: 'name'" error.
func unknownCollation(err error) (string, bool) {
	const prefix = "Unknown collation: '"
	msg := err.Error()
	i := strings.Index(msg, prefix)
	if i < 0 {
		return "", false
	}
	name, _, ok := strings.Cut(msg[i+len(prefix):], "'")
	return name, ok && name != ""
}
