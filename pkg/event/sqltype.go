package event

// java.sql.Types codes used in Message.SQLType (Canal compatible).
const (
	JavaBit           = -7
	JavaTinyInt       = -6
	JavaSmallInt      = 5
	JavaInteger       = 4
	JavaBigInt        = -5
	JavaReal          = 7
	JavaDouble        = 8
	JavaDecimal       = 3
	JavaChar          = 1
	JavaVarchar       = 12
	JavaLongVarchar   = -1
	JavaDate          = 91
	JavaTime          = 92
	JavaTimestamp     = 93
	JavaBinary        = -2
	JavaVarbinary     = -3
	JavaLongVarbinary = -4
	JavaBlob          = 2004
	JavaClob          = 2005
)

// SQLTypeOf returns the java.sql.Types code Canal reports for a column type. Unsigned BIGINT is
// reported as DECIMAL because it does not fit a Java long; YEAR as VARCHAR; ENUM and SET as CHAR;
// JSON as LONGVARCHAR; unknown types as VARCHAR.
func SQLTypeOf(ct ColumnType) int {
	switch ct.Base {
	case "bit":
		return JavaBit
	case "tinyint":
		return JavaTinyInt
	case "smallint":
		return JavaSmallInt
	case "mediumint", "int", "integer":
		return JavaInteger
	case "bigint":
		if ct.Unsigned {
			return JavaDecimal
		}
		return JavaBigInt
	case "float", "real":
		return JavaReal
	case "double":
		return JavaDouble
	case "decimal", "numeric":
		return JavaDecimal
	case "char", "enum", "set":
		return JavaChar
	case "tinytext", "text", "mediumtext", "longtext":
		return JavaClob
	case "json":
		return JavaLongVarchar
	case "date":
		return JavaDate
	case "time":
		return JavaTime
	case "datetime", "timestamp":
		return JavaTimestamp
	case "binary":
		return JavaBinary
	case "varbinary":
		return JavaVarbinary
	case "tinyblob", "blob", "mediumblob", "longblob":
		return JavaBlob
	}
	return JavaVarchar
}
