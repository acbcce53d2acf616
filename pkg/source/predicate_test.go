package source

import "testing"

func TestKeyRangePredicate(t *testing.T) {
	lit := func(_ int, v string) string { return v }
	for _, tc := range []struct {
		name  string
		r     KeyRange
		names []string
		want  string
	}{
		{"unbounded", KeyRange{}, []string{"a"}, "1 = 1"},
		{"single lower", KeyRange{Lo: Key{"5"}}, []string{"a"}, "(a > 5)"},
		{"single both", KeyRange{Lo: Key{"5"}, Hi: Key{"9"}}, []string{"a"}, "(a > 5) AND (a < 9 OR a = 9)"},
		{"composite", KeyRange{Lo: Key{"1", "2"}, Hi: Key{"3", "4"}}, []string{"a", "b"},
			"(a > 1 OR a = 1 AND b > 2) AND (a < 3 OR a = 3 AND b < 4 OR a = 3 AND b = 4)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Predicate(tc.names, lit); got != tc.want {
				t.Fatalf("Predicate = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestKeysQueryAndChunkQuery(t *testing.T) {
	cols := []string{ScanColumn("id", false, ""), ScanColumn("f", true, ""), ScanColumn("u", false, "binary(16)")}
	for _, tc := range []struct {
		name, got, want string
	}{
		{"first chunk", ChunkQuery("d", "t", cols, []string{"id"}, false, 10),
			"SELECT `id`, CAST(`f` AS DOUBLE), CAST(`u` AS BINARY(16)) FROM `d`.`t` ORDER BY `id` LIMIT 10"},
		{"keys", KeysQuery("d", "t", cols[:1], []string{"a", "b"}, 2),
			"SELECT `id` FROM `d`.`t` WHERE (`a` = ? AND `b` = ?) OR (`a` = ? AND `b` = ?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got  %q\nwant %q", tc.got, tc.want)
			}
		})
	}
	args := AfterArgs([]any{"a", "b", "c"})
	if len(args) != 6 || args[0] != "a" || args[1] != "a" || args[2] != "b" || args[5] != "c" {
		t.Fatalf("AfterArgs = %v, want [a a b a b c]", args)
	}
}
