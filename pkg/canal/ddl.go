package canal

import (
	"regexp"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// ddlInfo is what the tailer needs from a DDL statement: its Canal type and the table it touches.
// Row decoding never depends on it (rows carry their own metadata), so a statement the patterns do
// not recognise only becomes a QUERY event; it can never leave a stale schema behind.
type ddlInfo struct {
	typ       string
	db, table string
}

const ident = "(?:`(?:[^`]|``)+`|[A-Za-z0-9_$\u0080-\uffff]+)"
const qname = "(" + ident + `)(?:\s*\.\s*(` + ident + "))?"

var ddlPatterns = []struct {
	typ string
	re  *regexp.Regexp
}{
	{event.TypeCreate, regexp.MustCompile(`(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?` + qname)},
	{event.TypeAlter, regexp.MustCompile(`(?is)^ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?` + qname)},
	{event.TypeErase, regexp.MustCompile(`(?is)^DROP\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?(?:/\*.*?\*/\s*)?` + qname)},
	{event.TypeTruncate, regexp.MustCompile(`(?is)^TRUNCATE\s+(?:TABLE\s+)?` + qname)},
	{event.TypeRename, regexp.MustCompile(`(?is)^RENAME\s+TABLES?\s+` + qname)},
	{event.TypeCIndex, regexp.MustCompile(`(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?(?:ONLINE\s+)?(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?` + ident + `.*?\sON\s+` + qname)},
	{event.TypeDIndex, regexp.MustCompile(`(?is)^DROP\s+INDEX\s+(?:ONLINE\s+)?(?:IF\s+EXISTS\s+)?` + ident + `\s+ON\s+` + qname)},
}

var leadingComment = regexp.MustCompile(`(?s)^(?:\s+|/\*.*?\*/|#[^\n]*\n|--[^\n]*\n)+`)

// parseDDL classifies a query event's statement; defaultDB is the event's current database.
func parseDDL(sql, defaultDB string) ddlInfo {
	s := leadingComment.ReplaceAllString(sql, "")
	for _, p := range ddlPatterns {
		m := p.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		if m[2] == "" {
			return ddlInfo{typ: p.typ, db: defaultDB, table: unquote(m[1])}
		}
		return ddlInfo{typ: p.typ, db: unquote(m[1]), table: unquote(m[2])}
	}
	return ddlInfo{typ: event.TypeQuery, db: defaultDB}
}

func unquote(id string) string {
	if len(id) >= 2 && id[0] == '`' {
		return strings.ReplaceAll(id[1:len(id)-1], "``", "`")
	}
	return id
}

// isTxControl reports the query events that are not DDL: BEGIN / COMMIT / ROLLBACK / XA / SAVEPOINT.
func isTxControl(sql string) (isCommit, isControl bool) {
	s := strings.ToUpper(strings.TrimSpace(leadingComment.ReplaceAllString(sql, "")))
	switch {
	case s == "COMMIT", s == "ROLLBACK":
		return true, true
	case s == "BEGIN", strings.HasPrefix(s, "XA "), strings.HasPrefix(s, "SAVEPOINT"),
		strings.HasPrefix(s, "ROLLBACK TO"), strings.HasPrefix(s, "RELEASE SAVEPOINT"):
		return false, true
	}
	return false, false
}
