package load

import (
	"bytes"
	"context"
	"database/sql"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/internal/testenv"
	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

func newSeededDB(t testing.TB, products int) (*sql.DB, *service.Service) {
	t.Helper()
	st := testenv.Get(t)
	name := st.NewSourceDatabase(t)
	testenv.LoadOrderSchema(t, st.OpenSource(t, name))
	// interpolateParams saves the prepare/close round trips of every statement with arguments
	// (the CLI's default DSN sets it too).
	db := st.OpenSourceWith(t, name, "&interpolateParams=true")
	db.SetMaxOpenConns(64)
	db.SetMaxIdleConns(64)
	if err := Seed(context.Background(), db, SeedConfig{Products: products, Stock: 1_000_000, Coupons: 10, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(db, service.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return db, svc
}

func TestRunStopsByCountAndByDuration(t *testing.T) {
	db, svc := newSeededDB(t, 50)
	srv := httptest.NewServer(service.NewHandler(svc))
	defer srv.Close()
	tests := []struct {
		name   string
		target Target
		mut    func(*Config)
		check  func(t *testing.T, st Stats, el time.Duration)
	}{
		{"db closed loop by count", ServiceTarget{svc}, func(c *Config) { c.Rate, c.Duration, c.Count = 0, 0, 600 },
			func(t *testing.T, st Stats, _ time.Duration) {
				if st.Requests != 600 || st.ByOp[OpCreate] == 0 || st.ByOp[OpPay] == 0 {
					t.Fatalf("requests %d by op %v; want exactly 600 with creates and pays", st.Requests, st.ByOp)
				}
			}},
		{"http constant by duration", NewHTTPTarget(srv.URL, 8), func(c *Config) { c.Rate, c.Duration, c.Workers = 150, 2*time.Second, 8 },
			func(t *testing.T, st Stats, el time.Duration) {
				// Pacing, not speed: every scheduled token is either executed or shed (a slow
				// machine sheds more), so together they make 150/s for 2 s, less the tokens still
				// buffered for the 8 workers when the run ends.
				if el > 5*time.Second || st.Requests+st.Shed < 250 || st.Requests+st.Shed > 320 || st.Requests == 0 {
					t.Fatalf("%d requests + %d shed in %v; want about 300 scheduled at 150/s for 2 s", st.Requests, st.Shed, el)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Progress = 500 * time.Millisecond
			var out bytes.Buffer
			cfg.Out = &out
			tc.mut(&cfg)
			start := time.Now()
			st, err := Run(context.Background(), db, tc.target, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%+v", st)
			if st.Errors != 0 || st.Writes == 0 || st.OK+st.Rejected != st.Requests {
				t.Fatalf("errors %d (%s), writes %d, ok %d + rejected %d != %d", st.Errors, st.FirstErr, st.Writes, st.OK, st.Rejected, st.Requests)
			}
			tc.check(t, st, time.Since(start))
			if cfg.Duration > time.Second && !strings.Contains(out.String(), "achieved=") {
				t.Fatalf("no progress lines: %q", out.String())
			}
		})
	}
	var orders, negative int
	_ = db.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&orders)
	_ = db.QueryRow(`SELECT COUNT(*) FROM products WHERE stock < 0`).Scan(&negative)
	if orders == 0 || negative != 0 {
		t.Fatalf("orders %d, products with negative stock %d", orders, negative)
	}
}

func TestRunIsReproducibleBySeed(t *testing.T) {
	// The operation sequence of one worker depends only on the seed (single worker, closed loop).
	ops := func(seed int64) []Op {
		cfg := DefaultConfig()
		cfg.Seed = seed
		w := newWorker(cfg, 0, []uint64{1, 2, 3}, nil, &counters{})
		var out []Op
		for i := 0; i < 50; i++ {
			r := w.next()
			out = append(out, r.Op)
			w.remember(r, uint64(i+1))
		}
		return out
	}
	a, b, c := ops(5), ops(5), ops(6)
	if strings.Join(opStrings(a), ",") != strings.Join(opStrings(b), ",") {
		t.Fatal("same seed, different operation sequence")
	}
	if strings.Join(opStrings(a), ",") == strings.Join(opStrings(c), ",") {
		t.Fatal("different seeds gave the same 50 operations")
	}
}

func opStrings(ops []Op) []string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return s
}
