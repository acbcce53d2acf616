package difftest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// colKind is one column type of the catalogue: its DDL and a generator of SQL literals.
type colKind struct {
	ddl     string                    // type as written in CREATE TABLE
	gen     func(r *rand.Rand) string // a random non-NULL SQL literal
	key     bool                      // usable as a primary key column
	text    bool                      // a text key: case-only and trailing-space changes apply
	notNull bool                      // may be declared NOT NULL without DEFAULT in ADD COLUMN
}

// intRange is an integer type's range as decimal text.
type intRange struct {
	name     string
	min, max string
	lo, hi   int64 // random values are drawn from [lo, hi]
}

var intTypes = []intRange{
	{"TINYINT", "-128", "127", -128, 127},
	{"SMALLINT", "-32768", "32767", -32768, 32767},
	{"MEDIUMINT", "-8388608", "8388607", -8388608, 8388607},
	{"INT", "-2147483648", "2147483647", -2147483648, 2147483647},
	{"BIGINT", "-9223372036854775808", "9223372036854775807", -1 << 61, 1 << 61},
	{"TINYINT UNSIGNED", "0", "255", 0, 255},
	{"SMALLINT UNSIGNED", "0", "65535", 0, 65535},
	{"MEDIUMINT UNSIGNED", "0", "16777215", 0, 16777215},
	{"INT UNSIGNED", "0", "4294967295", 0, 4294967295},
	{"BIGINT UNSIGNED", "0", "18446744073709551615", 0, 1 << 62},
}

func (ir intRange) gen(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return ir.min
	case 1:
		return ir.max
	case 2:
		return "0"
	}
	return fmt.Sprint(ir.lo + r.Int64N(ir.hi-ir.lo+1))
}

// strCol is a text column type with its character set and collation.
type strCol struct {
	typ, charset, collation string
	max                     int // characters
}

var strTypes = []strCol{
	{"CHAR(10)", "latin1", "latin1_swedish_ci", 10},
	{"CHAR(12)", "utf8mb4", "utf8mb4_unicode_ci", 12},
	{"VARCHAR(40)", "utf8mb4", "utf8mb4_unicode_ci", 40},
	{"VARCHAR(300)", "utf8mb4", "utf8mb4_bin", 300},
	{"VARCHAR(20)", "latin1", "latin1_bin", 20},
	{"VARCHAR(30)", "utf8mb3", "utf8mb3_general_ci", 30},
	{"VARCHAR(255)", "utf8mb3", "utf8mb3_nopad_bin", 255},
	{"VARCHAR(25)", "ascii", "ascii_general_ci", 25},
	{"TINYTEXT", "latin1", "latin1_general_cs", 255},
	{"TEXT", "utf8mb4", "utf8mb4_general_ci", 3000},
	{"MEDIUMTEXT", "utf8mb4", "utf8mb4_bin", 5000},
}

// Character pools per charset: what each can store.
var (
	asciiPool  = []string{"a", "b", "Z", "0", "9", " ", "'", "\\", "\"", "_", "%", "\n", "\t", "x"}
	latin1Pool = append([]string{"é", "Ü", "ß", "ñ", "©", "’", "€", "–", "ÿ", "µ"}, asciiPool...)
	bmpPool    = append([]string{"中", "文", "Ω", "Ж", "ế", "ﬁ", "\u00a0"}, latin1Pool...)
	suppPool   = append([]string{"😀", "𝄞", "🐘"}, bmpPool...) // one code point each: lengths count characters
)

func (s strCol) pool() []string {
	switch s.charset {
	case "ascii":
		return asciiPool
	case "latin1":
		return latin1Pool
	case "utf8mb3":
		return bmpPool
	}
	return suppPool
}

func (s strCol) gen(r *rand.Rand) string {
	switch r.IntN(12) {
	case 0:
		return "''"
	case 1:
		return "'trail  '"
	case 2:
		return "' lead'"
	case 3:
		return quote(strings.Repeat("L", s.max)) // the longest value
	}
	n := 1 + r.IntN(min(s.max, 24))
	if r.IntN(10) == 0 {
		n = s.max/2 + r.IntN(s.max/2+1)
	}
	pool := s.pool()
	var b strings.Builder
	for range n {
		b.WriteString(pool[r.IntN(len(pool))])
	}
	return quote(b.String())
}

func (s strCol) ddl() string {
	return fmt.Sprintf("%s CHARACTER SET %s COLLATE %s", s.typ, s.charset, s.collation)
}

// quote writes s as a MariaDB string literal.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`, "\n", `\n`, "\r", `\r`, "\x1a", `\Z`)
	return "'" + r.Replace(s) + "'"
}

// hexBytes returns n random bytes as X'..', biased towards zero and 0xff bytes at the end.
func hexBytes(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	if n > 0 && r.IntN(4) == 0 {
		b[n-1] = 0 // a trailing zero byte
	}
	if n > 1 && r.IntN(6) == 0 {
		b[n-1], b[n-2] = 0xff, 0x20
	}
	return fmt.Sprintf("X'%X'", b)
}

func decimalGen(p, s int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		digits := func(n int, all9 bool) string {
			var b strings.Builder
			for range n {
				if all9 {
					b.WriteByte('9')
				} else {
					b.WriteByte(byte('0' + r.IntN(10)))
				}
			}
			return b.String()
		}
		all9 := r.IntN(8) == 0
		ip := digits(r.IntN(p-s+1), all9)
		if all9 {
			ip = digits(p-s, true)
		}
		if ip == "" {
			ip = "0"
		}
		sign := ""
		if r.IntN(3) == 0 {
			sign = "-"
		}
		if s == 0 {
			return sign + ip
		}
		frac := digits(s, all9)
		if r.IntN(4) == 0 {
			frac = frac[:s-1] + "0" // a trailing zero
		}
		return sign + ip + "." + frac
	}
}

func pick(vals ...string) func(r *rand.Rand) string {
	return func(r *rand.Rand) string { return vals[r.IntN(len(vals))] }
}

var floatVals = []string{"0", "-1.5", "3.14159", "123456", "-0.000123457", "1e+20", "-3.40282e+38", "1.17549e-38", "0.1", "999999"}
var doubleVals = []string{"0", "-1.5", "0.1", "0.3333333333333333", "1.7976931348623157e308", "-2.2250738585072014e-308",
	"123456789.123456", "-1e-300", "2.718281828459045", "9007199254740993"}

func floatGen(vals []string, digits int) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		if r.IntN(2) == 0 {
			return vals[r.IntN(len(vals))]
		}
		return fmt.Sprintf("%.*e", digits-1, (r.Float64()-0.5)*1e6*float64(r.IntN(1000)+1))
	}
}
