package canal

import "testing"

// TestTextLengthInCharacters converts binlog byte lengths of VARCHAR columns to the character
// lengths the copies create, for collations of every width (utf8mb3 NO PAD and UCA 14.0 were
// missing from the old table and made VARCHAR(255) a VARCHAR(191)).
func TestTextLengthInCharacters(t *testing.T) {
	for _, tc := range []struct {
		name      string
		collation uint64
		bytes     int
		want      string
	}{
		{"utf8mb4_unicode_ci", 224, 1020, "varchar(255)"},
		{"utf8mb4_general_ci", 45, 40, "varchar(10)"},
		{"utf8mb3_general_ci", 33, 765, "varchar(255)"},
		{"utf8mb3_general_nopad_ci", 1057, 765, "varchar(255)"},
		{"utf8mb3_uca1400_ai_ci", 2048, 765, "varchar(255)"},
		{"utf8mb4_nopad_bin", 1070, 1020, "varchar(255)"},
		{"ucs2_general_ci", 35, 20, "varchar(10)"},
		{"ascii_general_ci", 11, 10, "varchar(10)"},
		{"unknown collation keeps the byte length", 4000, 30, "varchar(30)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c column
			if got := c.textOrBinary("varchar", "varbinary", tc.bytes, tc.collation, true); got != tc.want {
				t.Fatalf("%d bytes in collation %d = %s, want %s", tc.bytes, tc.collation, got, tc.want)
			}
		})
	}
}
