package service

import "testing"

func TestCents(t *testing.T) {
	tests := []struct {
		in   string
		want Cents
		out  string
		bad  bool
	}{
		{in: "12.50", want: 1250, out: "12.50"},
		{in: "7", want: 700, out: "7.00"},
		{in: "0.05", want: 5, out: "0.05"},
		{in: "-3.1", want: -310, out: "-3.10"},
		{in: "1.234", bad: true},
		{in: "", bad: true},
		{in: "x.10", bad: true},
		{in: "1.-5", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCents(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("ParseCents(%q) = %v, want error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want || got.String() != tc.out {
				t.Fatalf("ParseCents(%q) = %v (%s), %v; want %v (%s)", tc.in, int64(got), got, err, tc.want, tc.out)
			}
		})
	}
}
