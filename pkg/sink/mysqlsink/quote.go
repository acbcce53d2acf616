package mysqlsink

import (
	"github.com/ferry-cdc/ferry/pkg/sink"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// Name is the engine's name: the value of --sink and of the sink label in metrics.
const Name = "mysql"

// quote is source.Quote, the one MariaDB/MySQL identifier quoting (the copy and the source
// speak the same dialect), under the name the package's statements use.
var quote = source.Quote

// versionCol and deletedCol are the copy's own columns, quoted.
var versionCol, deletedCol = quote(sink.MetaColumnVersion), quote(sink.MetaColumnDeleted)
