package orderflow

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeOrderPaid(t *testing.T) {
	good := OrderPaid{OrderID: 7, OrderNo: "O7", UserID: 3, PayAmount: "9.90", ItemCount: 1,
		PaidAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	tests := []struct {
		name    string
		body    string
		wantErr bool
	}{
		{"round trip", string(good.Encode()), false},
		{"malformed", `{"order_id":`, true},
		{"no order id", `{"order_no":"x","user_id":1}`, true},
		{"no user", `{"order_id":1,"order_no":"x"}`, true},
		{"no order no", `{"order_id":1,"user_id":1}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeOrderPaid([]byte(tc.body))
			if tc.wantErr {
				if !errors.Is(err, ErrBadMessage) {
					t.Fatalf("err = %v, want ErrBadMessage", err)
				}
				return
			}
			if err != nil || m != good {
				t.Fatalf("got %+v, %v; want %+v", m, err, good)
			}
		})
	}
}

func TestDecodeFlashSaleWin(t *testing.T) {
	good := FlashSaleWin{SaleID: 1, ProductID: 2, UserID: 3, RequestID: "r1", Price: "1.00"}
	tests := []struct {
		name    string
		body    string
		wantErr bool
	}{
		{"round trip", string(good.Encode()), false},
		{"malformed", `[`, true},
		{"zero sale", `{"product_id":2,"user_id":3,"request_id":"x"}`, true},
		{"no request id", `{"sale_id":1,"product_id":2,"user_id":3}`, true},
		{"request id too long", `{"sale_id":1,"product_id":2,"user_id":3,"request_id":"` + strings.Repeat("x", 70) + `"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := DecodeFlashSaleWin([]byte(tc.body))
			if tc.wantErr != (err != nil) {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && m != good {
				t.Fatalf("got %+v want %+v", m, good)
			}
		})
	}
	if got := good.OrderRequestID(); got != "fs1-r1" {
		t.Fatalf("OrderRequestID = %q", got)
	}
}

func FuzzDecodeOrderPaid(f *testing.F) {
	f.Add([]byte(`{"order_id":1,"order_no":"a","user_id":2}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := DecodeOrderPaid(body)
		if err != nil {
			return
		}
		back, err := DecodeOrderPaid(m.Encode())
		if err != nil || back.OrderID != m.OrderID || back.UserID != m.UserID || back.OrderNo != m.OrderNo {
			t.Fatalf("re-decode of %+v: %+v, %v", m, back, err)
		}
	})
}

func FuzzDecodeFlashSaleWin(f *testing.F) {
	f.Add([]byte(`{"sale_id":1,"product_id":2,"user_id":3,"request_id":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := DecodeFlashSaleWin(body)
		if err != nil {
			return
		}
		if len(m.OrderRequestID()) > 64 {
			t.Fatalf("accepted request id longer than the column: %q", m.OrderRequestID())
		}
	})
}
