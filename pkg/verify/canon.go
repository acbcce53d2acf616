package verify

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
	"github.com/ferry-cdc/ferry/pkg/source"
)

// The canonical forms both sides of a comparison agree on, and the key ranges, checksums and
// row hashes they are compared by, are defined next to the SQL that computes them (pkg/source;
// the ClickHouse side in pkg/sink/chsink).
type (
	column   = source.Column
	key      = source.Key
	keyRange = source.KeyRange
	checksum = source.Checksum
	keyHash  = source.KeyHash
)

const (
	kindText     = source.KindText
	kindDecimal  = source.KindDecimal
	kindFloat32  = source.KindFloat32
	kindDateTime = source.KindDateTime
	kindBinary   = source.KindBinary
)

// eventValue turns the canonical text v of a key column back into the change-event encoding
// (schemas/change-event.md) that a Repairer expects: binary keys from hex to bytes as ISO-8859-1
// runes, decimals padded to the column's scale, FLOATs from their widened double to the shortest
// single-precision text. Other kinds are already in event form (DOUBLE: shortest text on both).
func eventValue(c column, v string) (string, error) {
	switch c.Kind {
	case kindBinary:
		b, err := hex.DecodeString(v)
		if err != nil {
			return "", fmt.Errorf("key column %s: hex %q: %w", c.Name, v, err)
		}
		return event.EncodeBytes(b), nil
	case kindFloat32:
		f, err := strconv.ParseFloat(v, 32)
		if err != nil {
			return "", fmt.Errorf("key column %s: float %q: %w", c.Name, v, err)
		}
		return strconv.FormatFloat(f, 'g', -1, 32), nil
	case kindDecimal:
		if c.Scale == 0 {
			return v, nil
		}
		intPart, frac, _ := strings.Cut(v, ".")
		return intPart + "." + frac + strings.Repeat("0", max(0, c.Scale-len(frac))), nil
	}
	return v, nil
}
