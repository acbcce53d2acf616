package flashsale

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// NewHandler serves POST /flash-sales/{id}/buy {"user_id": 1, "request_id": "r-1"}:
// 200 {"result":"won"|"won_replayed"}, 409 {"result":"sold_out"|"sold_out_edge"|"already_bought"},
// 404 unknown sale, 400 bad input, 503 when the win could not be enqueued (retry same request id).
func NewHandler(g *Gate) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /flash-sales/{id}/buy", g.handleBuy)
	return mux
}

func (g *Gate) handleBuy(w http.ResponseWriter, r *http.Request) {
	var req struct {
		UserID    uint64 `json:"user_id"`
		RequestID string `json:"request_id"`
	}
	saleID, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || saleID == 0 {
		reply(w, http.StatusBadRequest, "", fmt.Errorf("sale id %q must be a positive integer", r.PathValue("id")))
		return
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		reply(w, http.StatusBadRequest, "", fmt.Errorf("malformed JSON body (want {\"user_id\":1,\"request_id\":\"...\"}): %v", err))
		return
	}
	res, err := g.Buy(r.Context(), saleID, req.UserID, req.RequestID)
	switch {
	case errors.Is(err, ErrNoSale):
		reply(w, http.StatusNotFound, "", err)
	case err != nil && (req.UserID == 0 || len(req.RequestID) == 0 || len(req.RequestID) > 40):
		reply(w, http.StatusBadRequest, "", err)
	case err != nil:
		reply(w, http.StatusServiceUnavailable, "", err)
	case res == Won || res == Replayed:
		reply(w, http.StatusOK, res, nil)
	default:
		reply(w, http.StatusConflict, res, nil)
	}
}

func reply(w http.ResponseWriter, code int, res Result, err error) {
	body := map[string]string{}
	if res != "" {
		body["result"] = string(res)
	}
	if err != nil {
		body["error"] = err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}
