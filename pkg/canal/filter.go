package canal

import (
	"path"
	"strings"
)

// filter decides which tables and columns are published. Patterns are path.Match globs over
// "db.table" and "db.table.column"; exclude wins over include; an empty include list means all.
type filter struct {
	include, exclude, columns []string
	cache                     map[string]bool
}

func newFilter(c *Config) *filter {
	return &filter{include: c.Include, exclude: c.Exclude, columns: c.ExcludeColumns, cache: map[string]bool{}}
}

func validPattern(p string, parts int) bool {
	if len(strings.Split(p, ".")) != parts {
		return false
	}
	_, err := path.Match(p, strings.Repeat("x.", parts-1)+"x")
	return err == nil
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// table reports whether db.table is published.
func (f *filter) table(db, table string) bool {
	key := db + "." + table
	if ok, hit := f.cache[key]; hit {
		return ok
	}
	ok := (len(f.include) == 0 || matchAny(f.include, key)) && !matchAny(f.exclude, key)
	f.cache[key] = ok
	return ok
}

// database reports whether some published table may live in db (for DDL without a table).
func (f *filter) database(db string) bool {
	if len(f.include) == 0 {
		return true
	}
	for _, p := range f.include {
		if ok, _ := path.Match(strings.SplitN(p, ".", 2)[0], db); ok {
			return true
		}
	}
	return false
}

// column reports whether db.table.column is excluded.
func (f *filter) columnExcluded(db, table, column string) bool {
	return len(f.columns) > 0 && matchAny(f.columns, db+"."+table+"."+column)
}
