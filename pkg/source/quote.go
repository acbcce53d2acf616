package source

import "strings"

// Quote returns name as a backquoted MariaDB/MySQL identifier: a backquote inside the name is
// doubled; every other character, backslashes included, stands for itself.
func Quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// QuoteTable returns `database`.`table`.
func QuoteTable(database, table string) string { return Quote(database) + "." + Quote(table) }
