package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// dbState is what a rejected request must leave unchanged.
func dbState(t *testing.T, s *Service) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT COUNT(*) FROM orders`, `SELECT COUNT(*) FROM order_items`, `SELECT COUNT(*) FROM payments`,
		`SELECT COUNT(*) FROM refunds`, `SELECT COUNT(*) FROM order_outbox`, `SELECT COALESCE(SUM(stock), 0) FROM products`,
		`SELECT COALESCE(GROUP_CONCAT(status ORDER BY id), '') FROM orders`,
	} {
		var v string
		if err := s.db.QueryRow(q).Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return strings.Join(out, "|")
}

func TestHTTPBadInputChangesNothing(t *testing.T) {
	db := newTestDB(t)
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	s := newTestService(t, db, WithMetrics(m))
	srv := httptest.NewServer(NewHandler(s))
	defer srv.Close()
	ctx := context.Background()
	pid := addProduct(t, db, "http-1", "4.00", 3)
	created, _ := s.Create(ctx, CreateRequest{UserID: 1, Items: []ItemRequest{{ProductID: pid, Quantity: 1}}, Address: addr})
	paid, _ := s.Create(ctx, CreateRequest{UserID: 1, Items: []ItemRequest{{ProductID: pid, Quantity: 1}}, Address: addr})
	if _, err := s.Pay(ctx, paid.ID, "card"); err != nil {
		t.Fatal(err)
	}
	item := func(p uint64, q int) string {
		return fmt.Sprintf(`{"user_id":1,"address":{"city":"X"},"items":[{"product_id":%d,"quantity":%d}]}`, p, q)
	}
	tests := []struct {
		name, method, path, body string
		code                     int
		msg                      string
	}{
		{"unknown product", "POST", "/orders", item(999999, 1), 400, "unknown product 999999"},
		{"zero quantity", "POST", "/orders", item(pid, 0), 400, "quantity 0"},
		{"negative quantity", "POST", "/orders", item(pid, -2), 400, "quantity -2"},
		{"malformed JSON", "POST", "/orders", `{"user_id":1,`, 400, "malformed JSON"},
		{"unknown field", "POST", "/orders", `{"user_id":1,"itemz":[]}`, 400, "unknown field"},
		{"no items", "POST", "/orders", `{"user_id":1,"address":{"a":1},"items":[]}`, 400, "items is empty"},
		{"no address", "POST", "/orders", `{"user_id":1,"items":[{"product_id":1,"quantity":1}]}`, 400, "address"},
		{"pay twice", "POST", fmt.Sprintf("/orders/%d/pay", paid.ID), `{"channel":"card"}`, 409, "already paid"},
		{"bad channel", "POST", fmt.Sprintf("/orders/%d/pay", created.ID), `{"channel":"cash"}`, 400, "channel"},
		{"refund unpaid", "POST", fmt.Sprintf("/orders/%d/refund", created.ID), `{"reason":"x"}`, 409, "only paid orders can be refunded"},
		{"cancel paid", "POST", fmt.Sprintf("/orders/%d/cancel", paid.ID), ``, 409, "refund a paid one"},
		{"pay unknown order", "POST", "/orders/424242/pay", `{"channel":"card"}`, 404, "order 424242 does not exist"},
		{"get unknown order", "GET", "/orders/424242", ``, 404, "does not exist"},
		{"bad id", "GET", "/orders/abc", ``, 400, "positive integer"},
		{"bad limit", "GET", "/users/1/orders?limit=0", ``, 400, "limit"},
	}
	before := dbState(t, s)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var body struct{ Error string }
			_ = json.Unmarshal(b, &body)
			if resp.StatusCode != tc.code || !strings.Contains(body.Error, tc.msg) {
				t.Fatalf("%s %s: %d %s; want %d with %q", tc.method, tc.path, resp.StatusCode, b, tc.code, tc.msg)
			}
			if after := dbState(t, s); after != before {
				t.Fatalf("rejected request changed the database: %s -> %s", before, after)
			}
		})
	}
	// The happy path through HTTP, and the route-labelled counter.
	resp, err := http.Post(srv.URL+"/orders", "application/json", strings.NewReader(item(pid, 1)))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create: %v %v", resp.StatusCode, err)
	}
	var o struct {
		ID        uint64 `json:"id"`
		PayAmount string `json:"pay_amount"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&o)
	resp.Body.Close()
	if o.ID == 0 || o.PayAmount != "4.00" {
		t.Fatalf("created order %+v", o)
	}
	if got := counterValue(t, m.Requests.WithLabelValues("POST /orders/{id}/pay", "409")); got != 1 {
		t.Fatalf("409 counter for the pay route = %v, want 1", got)
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
