package orderflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Default topic names; every component takes the name from its config.
const (
	// TopicOrderPaySuccess carries one OrderPaid message per paid order.
	TopicOrderPaySuccess = "order_pay_success"
	// TopicFlashSaleOrder carries one FlashSaleWin message per unit won in a flash sale.
	TopicFlashSaleOrder = "flash_sale_order"
)

// ErrBadMessage is returned (wrapped) by the decoders for a message body that cannot be used.
var ErrBadMessage = errors.New("bad message")

// OrderPaid is the body of an order-paid message. Consumers are idempotent by OrderID, so the
// message may be delivered any number of times.
type OrderPaid struct {
	OrderID   uint64    `json:"order_id"`
	OrderNo   string    `json:"order_no"`
	UserID    uint64    `json:"user_id"`
	PayAmount string    `json:"pay_amount"` // decimal string, e.g. "129.90"
	ItemCount int       `json:"item_count"`
	PaidAt    time.Time `json:"paid_at"`
}

// Encode returns the JSON body of m.
func (m OrderPaid) Encode() []byte {
	b, _ := json.Marshal(m) // cannot fail: plain fields only
	return b
}

// Key returns the message key (the order number) used for broker-side lookup.
func (m OrderPaid) Key() string { return m.OrderNo }

// DecodeOrderPaid parses and validates an order-paid message body.
func DecodeOrderPaid(body []byte) (OrderPaid, error) {
	var m OrderPaid
	if err := json.Unmarshal(body, &m); err != nil {
		return OrderPaid{}, fmt.Errorf("decode order-paid message: %w: %v", ErrBadMessage, err)
	}
	switch {
	case m.OrderID == 0:
		return OrderPaid{}, fmt.Errorf("decode order-paid message: %w: order_id missing or 0", ErrBadMessage)
	case m.UserID == 0:
		return OrderPaid{}, fmt.Errorf("decode order-paid message: %w: user_id missing or 0", ErrBadMessage)
	case m.OrderNo == "":
		return OrderPaid{}, fmt.Errorf("decode order-paid message: %w: order_no missing", ErrBadMessage)
	}
	return m, nil
}

// FlashSaleWin is the body of a flash-sale message: one buyer won one unit in Redis and an
// order-creation worker must create the order. Workers are idempotent by RequestID.
type FlashSaleWin struct {
	SaleID    uint64    `json:"sale_id"`
	ProductID uint64    `json:"product_id"`
	UserID    uint64    `json:"user_id"`
	RequestID string    `json:"request_id"`
	Price     string    `json:"price"`
	WonAt     time.Time `json:"won_at"`
}

// Encode returns the JSON body of m.
func (m FlashSaleWin) Encode() []byte {
	b, _ := json.Marshal(m) // cannot fail: plain fields only
	return b
}

// OrderRequestID is the orders.request_id of the order created for m: the client request id
// namespaced by the sale, so one request id can be reused across sales.
func (m FlashSaleWin) OrderRequestID() string {
	return fmt.Sprintf("fs%d-%s", m.SaleID, m.RequestID)
}

// DecodeFlashSaleWin parses and validates a flash-sale message body.
func DecodeFlashSaleWin(body []byte) (FlashSaleWin, error) {
	var m FlashSaleWin
	if err := json.Unmarshal(body, &m); err != nil {
		return FlashSaleWin{}, fmt.Errorf("decode flash-sale message: %w: %v", ErrBadMessage, err)
	}
	switch {
	case m.SaleID == 0 || m.ProductID == 0 || m.UserID == 0:
		return FlashSaleWin{}, fmt.Errorf("decode flash-sale message: %w: sale_id, product_id and user_id must be > 0", ErrBadMessage)
	case m.RequestID == "" || len(m.OrderRequestID()) > 64:
		return FlashSaleWin{}, fmt.Errorf("decode flash-sale message: %w: request_id must be 1-40 characters", ErrBadMessage)
	}
	return m, nil
}
