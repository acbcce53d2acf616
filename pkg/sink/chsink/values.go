package chsink

import (
	"fmt"
	"math/big"

	"github.com/shopspring/decimal"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// fastUnix parses the event forms "YYYY-MM-DD" and "YYYY-MM-DD hh:mm:ss[.f{1,9}]" (UTC) into
// Unix seconds and nanoseconds, computed from the calendar fields without time.Parse's layout
// interpretation or a time.Time. It reports false for anything else, including out-of-range
// fields, so the caller falls back to time.ParseInLocation and its errors: whatever fastUnix
// accepts, time.ParseInLocation accepts with the same instant (FuzzFastUnix).
func fastUnix(s string) (secs int64, ns int, ok bool) {
	if len(s) != 10 && (len(s) < 19 || len(s) == 20 || len(s) > 29) {
		return 0, 0, false
	}
	if s[4] != '-' || s[7] != '-' {
		return 0, 0, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) {
		return 0, 0, false
	}
	days := daysFromCivil(y, mo, d)
	if len(s) == 10 {
		return days * 86400, 0, true
	}
	if s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return 0, 0, false
	}
	h, ok1 := digits(s[11:13])
	mi, ok2 := digits(s[14:16])
	sec, ok3 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return 0, 0, false
	}
	if len(s) > 19 {
		f, ok := digits(s[20:])
		if s[19] != '.' || !ok {
			return 0, 0, false
		}
		ns = f
		for range 29 - len(s) {
			ns *= 10
		}
	}
	return days*86400 + int64(h*3600+mi*60+sec), ns, true
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, true
}

// daysIn returns the number of days of month m (1-12) of the proleptic Gregorian year.
func daysIn(m, year int) int {
	switch m {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to the proleptic Gregorian date y-m-d
// (Howard Hinnant's days_from_civil; years are counted from March so that the leap day ends
// a year).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400                     // [0, 399]
	doy := (153*((m+9)%12)+2)/5 + d - 1    // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return int64(era)*146097 + int64(doe) - 719468
}

// decimalCheck returns the check of event text for the copy column type ch, "Decimal(P, S)".
// clickhouse-go parses the text when the block is appended and fails the whole block on a bad
// value; checking each value first turns that into ErrBadRow naming the row. Plain
// "[-]digits[.digits]" text whose scaled value has at most as many digits as the storage
// integer holds is accepted without allocating; anything else goes through the same parse
// and overflow rule as clickhouse-go.
func decimalCheck(ch string) (func(string) error, error) {
	p, sc, err := decimalType(ch)
	if err != nil {
		return nil, err
	}
	bits, safe := decimalStorage(p)
	return func(s string) error {
		if n, ok := plainDigits(s); ok && n+sc <= safe {
			return nil
		}
		_, err := scaleDecimal(s, ch, sc, bits)
		return err
	}, nil
}

// decimalStorage returns the bits of the integer that stores a Decimal of precision p
// (Decimal32 .. Decimal256) and the decimal digits that always fit it.
func decimalStorage(p int) (bits, safe int) {
	switch {
	case p > 38:
		return 256, 76
	case p > 18:
		return 128, 38
	case p > 9:
		return 64, 18
	}
	return 32, 9
}

// scaleDecimal is clickhouse-go's rule for decimal text: parsed by shopspring/decimal, scaled
// by 10^sc and truncated towards zero, refused (ErrBadRow) when it does not parse or does not
// fit a signed integer of bits; ch names the column type in the error.
func scaleDecimal(s, ch string, sc, bits int) (*big.Int, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: value %q: %v", sink.ErrBadRow, s, err)
	}
	v := d.Shift(int32(sc)).BigInt()
	if !fitsSigned(v, bits) {
		return nil, fmt.Errorf("%w: value %q overflows %s", sink.ErrBadRow, s, ch)
	}
	return v, nil
}

// fitsSigned is clickhouse-go's overflow rule for decimals: v fits a signed integer of bits.
func fitsSigned(v *big.Int, bits int) bool {
	if v.Sign() >= 0 {
		return v.BitLen() <= bits-1
	}
	return new(big.Int).Not(v).BitLen() <= bits-1
}

// plainDigits reports whether s is "[-]digits[.digits]" and how many integer digits it has
// after leading zeros.
func plainDigits(s string) (int, bool) {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	intDigits, seen, dot := 0, false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && !dot && seen:
			dot = true
		case c >= '0' && c <= '9':
			if !dot && (intDigits > 0 || c != '0') {
				intDigits++
			}
			seen = true
		default:
			return 0, false
		}
	}
	return intDigits, seen && s[len(s)-1] != '.'
}
