package event

import "strconv"

// FormatFloat is the text of a FLOAT (bits 32) or DOUBLE (bits 64) value in a change event: the
// shortest decimal that reads back as the same float, in plain positional notation, never with an
// exponent: 1e10 is "10000000000", 1.5 is "1.5", 1e-7 is "0.0000001", 3.4028235e38 (FLOAT's
// maximum) is "340282350000000000000000000000000000000".
//
// Canal writes Java's "1.0E10", Go's 'g' format "1e+10" and MariaDB "1e10": the same number, but
// an exponent is rejected by decimal parsers (SQL DECIMAL casts, ClickHouse toDecimal*, integer
// parsers for whole values), while the positional form is read by every number parser (JSON
// number grammar, Java Double.parseDouble and BigDecimal, Python float and Decimal, JavaScript
// Number, Go ParseFloat, SQL casts). A double's text stays below 330 bytes.
func FormatFloat(v float64, bits int) string {
	return strconv.FormatFloat(v, 'f', -1, bits)
}

// AppendFloat appends FormatFloat(v, bits) to dst.
func AppendFloat(dst []byte, v float64, bits int) []byte {
	return strconv.AppendFloat(dst, v, 'f', -1, bits)
}
