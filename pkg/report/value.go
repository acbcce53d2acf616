package report

import (
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"time"
)

// Text renders a scanned driver value as text; nil (SQL NULL) stays nil. Times are formatted in
// UTC as "2006-01-02 15:04:05[.fff]", floats with the shortest exact representation, other values
// with their String method or fmt's default.
func Text(v any) *string {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		s = string(x)
	case string:
		s = x
	case time.Time:
		s = x.UTC().Format("2006-01-02 15:04:05.999999")
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'g', -1, 32)
	case fmt.Stringer:
		s = x.String()
	default:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer {
			if rv.IsNil() {
				return nil
			}
			return Text(rv.Elem().Interface())
		}
		s = fmt.Sprint(v)
	}
	return &s
}

// numeric parses s as an exact rational number; ok is false for non-numeric text.
func numeric(s string) (*big.Rat, bool) {
	if s == "" {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// decimals is the number of digits after the decimal point in s (0 without a point or with an
// exponent).
func decimals(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case '.':
			return len(s) - 1 - i
		case 'e', 'E':
			return 0
		}
	}
	return 0
}
