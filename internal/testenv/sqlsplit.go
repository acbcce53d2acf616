package testenv

import "strings"

// SplitSQL splits a SQL script into statements at semicolons that are
// outside quotes ('...', "...", `...`, with backslash escapes and doubled
// quotes) and outside comments (-- to end of line, # to end of line, /* */).
// Comment-only and empty statements are dropped; statements are trimmed and
// keep their inner comments.
func SplitSQL(script string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" && !onlyComments(s) {
			out = append(out, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := skipQuoted(script, i)
			cur.WriteString(script[i:j])
			i = j - 1
		case c == '#' || (c == '-' && strings.HasPrefix(script[i:], "-- ")) || (c == '-' && strings.HasPrefix(script[i:], "--\n")):
			j := strings.IndexByte(script[i:], '\n')
			if j < 0 {
				j = len(script) - i
			}
			cur.WriteString(script[i : i+j])
			i += j - 1
		case c == '/' && strings.HasPrefix(script[i:], "/*"):
			j := strings.Index(script[i+2:], "*/")
			end := len(script)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			cur.WriteString(script[i:end])
			i = end - 1
		case c == ';':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// skipQuoted returns the index just past the quoted string starting at i.
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && q != '`':
			j++
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			j++
		case s[j] == q:
			return j + 1
		}
	}
	return len(s)
}

// onlyComments reports whether s holds nothing but comments and space.
func onlyComments(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		l := strings.TrimSpace(line)
		if l != "" && !strings.HasPrefix(l, "--") && !strings.HasPrefix(l, "#") &&
			!(strings.HasPrefix(l, "/*") && strings.HasSuffix(l, "*/")) {
			return false
		}
	}
	return true
}
