package flashsale

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/orderflow/publish/publishtest"
)

func TestBuyHandler(t *testing.T) {
	e := newEnv(t, 1)
	g, err := NewGate(e.rdb, &publishtest.Publisher{}, "t", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.Open(e.sale)
	srv := httptest.NewServer(NewHandler(g))
	defer srv.Close()
	path := fmt.Sprintf("/flash-sales/%d/buy", e.sale.ID)
	tests := []struct {
		name, path, body string
		code             int
		result, errPart  string
	}{
		{"malformed", path, `{"user_id":`, 400, "", "malformed JSON"},
		{"unknown field", path, `{"user":1}`, 400, "", "unknown field"},
		{"no request id", path, `{"user_id":1}`, 400, "", "request_id"},
		{"bad sale id", "/flash-sales/x/buy", `{}`, 400, "", "positive integer"},
		{"unknown sale", "/flash-sales/424242/buy", `{"user_id":1,"request_id":"r"}`, 404, "", "not open"},
		{"win", path, `{"user_id":1,"request_id":"r1"}`, 200, "won", ""},
		{"replay", path, `{"user_id":1,"request_id":"r1"}`, 200, "won_replayed", ""},
		{"sold out", path, `{"user_id":2,"request_id":"r2"}`, 409, "sold_out", ""},
		{"sold out at the edge", path, `{"user_id":3,"request_id":"r3"}`, 409, "sold_out_edge", ""},
		{"winner's replay after sell-out", path, `{"user_id":1,"request_id":"r1"}`, 200, "won_replayed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL+tc.path, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Result, Error string }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tc.code || body.Result != tc.result || !strings.Contains(body.Error, tc.errPart) {
				t.Fatalf("%d %+v; want %d result %q error containing %q", resp.StatusCode, body, tc.code, tc.result, tc.errPart)
			}
		})
	}
}
