package consumers

import "testing"

func TestPointsFor(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{{"129.90", 129}, {"0.99", 0}, {"7", 7}, {"", 0}, {"-5.00", 0}}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := PointsFor(tc.in); got != tc.want {
				t.Fatalf("PointsFor(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
	if CouponCode(35) != "PAIDz" || len(CouponCode(^uint64(0))) > 32 {
		t.Fatalf("coupon codes %q %q", CouponCode(35), CouponCode(^uint64(0)))
	}
}
