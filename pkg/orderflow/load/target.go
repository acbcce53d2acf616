package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

// Op is one kind of request.
type Op string

// Operations of the mix.
const (
	OpCreate Op = "create"
	OpPay    Op = "pay"
	OpCancel Op = "cancel"
	OpRefund Op = "refund"
	OpQuery  Op = "query"
)

// Request is one request to a Target.
type Request struct {
	Op      Op
	OrderID uint64                 // pay, cancel, refund, query
	Create  *service.CreateRequest // create
	Channel string                 // pay
}

// ErrRejected marks a request the service refused for a business reason (out of stock, order
// state changed): counted, not an error of the run.
var ErrRejected = errors.New("rejected by the service")

// Target executes requests; for a create it returns the new order's id.
type Target interface {
	Do(ctx context.Context, r Request) (orderID uint64, err error)
}

var (
	_ Target = ServiceTarget{}
	_ Target = (*HTTPTarget)(nil)
)

// ServiceTarget calls the service in-process (the fast path straight to MariaDB).
type ServiceTarget struct{ S *service.Service }

// Do implements Target.
func (t ServiceTarget) Do(ctx context.Context, r Request) (uint64, error) {
	var err error
	var id uint64
	switch r.Op {
	case OpCreate:
		var o service.Order
		o, err = t.S.Create(ctx, *r.Create)
		id = o.ID
	case OpPay:
		_, err = t.S.Pay(ctx, r.OrderID, r.Channel)
	case OpCancel:
		err = t.S.Cancel(ctx, r.OrderID)
	case OpRefund:
		err = t.S.Refund(ctx, r.OrderID, "load test refund")
	case OpQuery:
		_, err = t.S.Get(ctx, r.OrderID)
	}
	if errors.Is(err, service.ErrOutOfStock) || errors.Is(err, service.ErrConflict) {
		return id, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	return id, err
}

// HTTPTarget calls the order service's HTTP API at Base (e.g. http://127.0.0.1:8080).
type HTTPTarget struct {
	Base   string
	Client *http.Client
}

// NewHTTPTarget returns a target with a pooled client sized for workers connections.
func NewHTTPTarget(base string, workers int) *HTTPTarget {
	tr := &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: 30 * time.Second}
	return &HTTPTarget{Base: strings.TrimSuffix(base, "/"), Client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Do implements Target.
func (t *HTTPTarget) Do(ctx context.Context, r Request) (uint64, error) {
	method, path, body := http.MethodPost, fmt.Sprintf("/orders/%d/%s", r.OrderID, r.Op), any(nil)
	switch r.Op {
	case OpCreate:
		path, body = "/orders", r.Create
	case OpPay:
		body = map[string]string{"channel": r.Channel}
	case OpRefund:
		body = map[string]string{"reason": "load test refund"}
	case OpQuery:
		method, path = http.MethodGet, fmt.Sprintf("/orders/%d", r.OrderID)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.Base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	var out struct {
		ID    uint64 `json:"id"`
		Error string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
	switch {
	case resp.StatusCode == http.StatusConflict:
		return 0, fmt.Errorf("%w: %s", ErrRejected, out.Error)
	case resp.StatusCode >= 300:
		return 0, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out.Error)
	}
	return out.ID, nil
}
