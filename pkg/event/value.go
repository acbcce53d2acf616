package event

import (
	"fmt"
	"unicode/utf8"
)

// EncodeBytes maps each byte to the rune with the same number (U+0000-U+00FF, ISO-8859-1), as Canal
// does for BINARY/VARBINARY/BLOB values. The result is valid UTF-8 and DecodeBytes reverses it.
func EncodeBytes(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	return string(AppendEncodedBytes(make([]byte, 0, len(b)+len(b)/2), b))
}

// AppendEncodedBytes appends EncodeBytes(b) to dst.
func AppendEncodedBytes(dst, b []byte) []byte {
	for _, c := range b {
		if c < utf8.RuneSelf {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

// DecodeBytes reverses EncodeBytes. It fails on a rune above U+00FF or invalid UTF-8, which means the
// value was not produced by EncodeBytes (for example a text column read as binary).
func DecodeBytes(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i, r := range s {
		if r == utf8.RuneError && !validRuneAt(s, i) {
			return nil, fmt.Errorf("%w: binary value has invalid UTF-8 at byte %d", ErrMalformed, i)
		}
		if r > 0xFF {
			return nil, fmt.Errorf("%w: binary value has rune %U at byte %d (only U+0000-U+00FF encode bytes)", ErrMalformed, r, i)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

func validRuneAt(s string, i int) bool {
	r, size := utf8.DecodeRuneInString(s[i:])
	return !(r == utf8.RuneError && size <= 1)
}
