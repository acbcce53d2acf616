package flashsale

import "testing"

func TestReportCompare(t *testing.T) {
	settled := Report{Differences: nil, TotalStock: 100, RedisStockLeft: 0, RedisSold: 100, RedisBuyers: 100, RedisRequests: 100,
		Orders: 100, ActiveOrders: 100, MySQLBaseStock: 100, MySQLStock: 0, ExpectedMySQL: 0}
	tests := []struct {
		name  string
		mut   func(*Report)
		diffs int
	}{
		{"settled", func(*Report) {}, 0},
		{"in flight", func(r *Report) { r.Orders, r.ActiveOrders, r.MySQLStock = 90, 90, 10; r.ExpectedMySQL = 10 }, 1},
		{"twice", func(r *Report) { r.BuyersTwice = 1 }, 1},
		{"mysql off", func(r *Report) { r.MySQLStock = 3 }, 1},
		{"oversold", func(r *Report) { r.RedisStockLeft, r.RedisSold = -1, 101 }, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := settled
			tc.mut(&r)
			r.compare()
			if len(r.Differences) != tc.diffs {
				t.Fatalf("differences %q, want %d", r.Differences, tc.diffs)
			}
		})
	}
}
