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

// SQLTypeOf returns the java.sql.Types code of a column, chosen as Canal 1.1.x chooses it for the
// column's non-NULL values (LogEventConvert after RowsLogBuffer), so consumers that map columns by
// sqlType (Canal's RDB adapter) see Canal's types. Where Ferry's value text differs from Canal's,
// the code follows the value, because Canal's adapters parse the value by its code
// (schemas/change-event.md, "sqlType"):
//
//   - BIGINT (also UNSIGNED) is BIGINT -5: Canal's adapter reads a -5 column whose mysqlType ends
//     in "unsigned" as a BigInteger, so every unsigned value fits.
//   - TINYINT/SMALLINT/INT UNSIGNED are SMALLINT 5/INTEGER 4/BIGINT -5, the code Canal gives a value
//     above the signed maximum (it raises the code per row; its adapter would fail to parse 200 as
//     a TINYINT). MEDIUMINT (also UNSIGNED) is INTEGER 4.
//   - ENUM and SET are CHAR 1: Ferry sends member names, Canal the index (INTEGER 4) or bitmask (BIT
//     -7); an adapter given "paid" with code 4 would fail Integer.parseInt.
//   - BINARY, VARBINARY, BLOBs and GEOMETRY are BLOB 2004, TEXTs CLOB 2005, MySQL's JSON type
//     VARCHAR 12 (MariaDB logs JSON as LONGTEXT: CLOB 2005), YEAR VARCHAR 12, unknown types 12.
func SQLTypeOf(ct ColumnType) int {
	switch ct.Base {
	case "bit":
		return JavaBit
	case "tinyint":
		return unsignedUp(ct, JavaTinyInt, JavaSmallInt)
	case "smallint":
		return unsignedUp(ct, JavaSmallInt, JavaInteger)
	case "mediumint":
		return JavaInteger
	case "int", "integer":
		return unsignedUp(ct, JavaInteger, JavaBigInt)
	case "bigint":
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
	case "date":
		return JavaDate
	case "time":
		return JavaTime
	case "datetime", "timestamp":
		return JavaTimestamp
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "geometry":
		return JavaBlob
	}
	return JavaVarchar // varchar, json, year, unknown
}

func unsignedUp(ct ColumnType, signed, unsigned int) int {
	if ct.Unsigned {
		return unsigned
	}
	return signed
}
