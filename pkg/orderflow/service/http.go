package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// maxBody bounds request bodies.
const maxBody = 1 << 20

// NewHandler returns the order service's HTTP/JSON API:
//
//	POST /orders               create (CreateRequest) -> 201 Order
//	POST /orders/{id}/pay      {"channel": "alipay"}  -> 200 PayResult
//	POST /orders/{id}/refund   {"reason": "..."}      -> 200 Order
//	POST /orders/{id}/cancel                          -> 200 Order
//	GET  /orders/{id}                                 -> 200 Order
//	GET  /users/{id}/orders?limit=20                  -> 200 [Order]
//
// Errors are {"error": "..."} with 400 (bad input), 404 (unknown order), 409 (wrong state or out
// of stock), 500 (anything else; details are logged, not returned).
func NewHandler(s *Service) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", s.handleCreate)
	mux.HandleFunc("POST /orders/{id}/pay", s.handlePay)
	mux.HandleFunc("POST /orders/{id}/refund", s.handleRefund)
	mux.HandleFunc("POST /orders/{id}/cancel", s.handleCancel)
	mux.HandleFunc("GET /orders/{id}", s.handleGet)
	mux.HandleFunc("GET /users/{id}/orders", s.handleList)
	return s.count(mux)
}

// statusRecorder remembers the status code for the request counter.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

// count labels each request with its matched route pattern (never the raw path, which would
// make one series per order id) and status code.
func (s *Service) count(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		mux.ServeHTTP(rec, r)
		_, pattern := mux.Handler(r)
		if pattern == "" {
			pattern = "unmatched"
		}
		s.metrics.Requests.WithLabelValues(pattern, strconv.Itoa(rec.code)).Inc()
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// reply writes v with code, or the error response for err if it is set.
func (s *Service) reply(w http.ResponseWriter, r *http.Request, code int, v any, err error) {
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, code, v)
}

// writeErr maps the service's sentinels to status codes.
func (s *Service) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, ErrConflict), errors.Is(err, ErrOutOfStock):
		code = http.StatusConflict
	}
	msg := err.Error()
	if code == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error; see the service log"
	}
	writeJSON(w, code, map[string]string{"error": msg})
}

// decode reads a JSON body strictly (unknown fields are an error); an empty body is allowed
// when optional is true.
func decode(r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) && optional {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: malformed JSON body: %v", ErrInvalid, err)
	}
	return nil
}

func pathID(r *http.Request) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%w: id %q in the path must be a positive integer", ErrInvalid, r.PathValue("id"))
	}
	return id, nil
}

func (s *Service) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req CreateRequest
	if err := decode(r, &req, false); err != nil {
		s.writeErr(w, r, err)
		return
	}
	o, err := s.Create(r.Context(), req)
	s.reply(w, r, http.StatusCreated, o, err)
}

func (s *Service) handlePay(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Channel string `json:"channel"`
	}
	id, err := pathID(r)
	if err == nil {
		err = decode(r, &body, false)
	}
	var res PayResult
	if err == nil {
		res, err = s.Pay(r.Context(), id, body.Channel)
	}
	s.reply(w, r, http.StatusOK, res, err)
}

func (s *Service) handleRefund(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Reason string `json:"reason"`
	}
	s.transition(w, r, &body, func(ctx context.Context, id uint64) error { return s.Refund(ctx, id, body.Reason) })
}

func (s *Service) handleCancel(w http.ResponseWriter, r *http.Request) {
	var body struct{}
	s.transition(w, r, &body, s.Cancel)
}

// transition decodes an optional body, runs op on the path's order and returns the order.
func (s *Service) transition(w http.ResponseWriter, r *http.Request, body any, op func(context.Context, uint64) error) {
	id, err := pathID(r)
	if err == nil {
		err = decode(r, body, true)
	}
	if err == nil {
		err = op(r.Context(), id)
	}
	s.replyOrder(w, r, id, err)
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	s.replyOrder(w, r, id, err)
}

// replyOrder answers with order id as it is now, or with err (and reads nothing) if it is set.
func (s *Service) replyOrder(w http.ResponseWriter, r *http.Request, id uint64, err error) {
	var o Order
	if err == nil {
		o, err = s.Get(r.Context(), id)
	}
	s.reply(w, r, http.StatusOK, o, err)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" && err == nil {
		if limit, err = strconv.Atoi(v); err != nil {
			err = fmt.Errorf("%w: limit %q must be an integer 1-200", ErrInvalid, v)
		}
	}
	var list []Order
	if err == nil {
		list, err = s.ListByUser(r.Context(), id, limit)
	}
	s.reply(w, r, http.StatusOK, list, err)
}

// Server is an http.Server for the handler with conservative timeouts.
func Server(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
}
