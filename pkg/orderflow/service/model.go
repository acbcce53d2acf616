package service

import (
	"encoding/json"
	"time"
)

// Order statuses (orders.status).
const (
	StatusCreated   = "created"
	StatusPaid      = "paid"
	StatusCancelled = "cancelled"
	StatusClosed    = "closed"
	StatusRefunded  = "refunded"
)

// Order sources (orders.source). SourceFlashSale orders hold reserved stock (see package doc).
const (
	SourceApp       = "app"
	SourceFlashSale = "flash_sale"
)

// ItemRequest is one line of a create-order request.
type ItemRequest struct {
	ProductID uint64 `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

// CreateRequest is the body of POST /orders.
type CreateRequest struct {
	UserID   uint64          `json:"user_id"`
	Items    []ItemRequest   `json:"items"`
	CouponID uint64          `json:"coupon_id,omitempty"`
	Address  json.RawMessage `json:"address"`
	Remark   string          `json:"remark,omitempty"`
	Source   string          `json:"source,omitempty"` // app (default) or web or mini
}

// Item is one order line.
type Item struct {
	LineNo      int    `json:"line_no"`
	ProductID   uint64 `json:"product_id"`
	SKU         string `json:"sku"`
	ProductName string `json:"product_name"`
	UnitPrice   Cents  `json:"-"`
	Quantity    int    `json:"quantity"`
	Amount      Cents  `json:"-"`
}

// Order is an order with its lines (Items is empty in list results).
type Order struct {
	ID        uint64          `json:"id"`
	OrderNo   string          `json:"order_no"`
	RequestID string          `json:"request_id,omitempty"`
	UserID    uint64          `json:"user_id"`
	Status    string          `json:"status"`
	Total     Cents           `json:"-"`
	Discount  Cents           `json:"-"`
	PayAmount Cents           `json:"-"`
	CouponID  uint64          `json:"coupon_id,omitempty"`
	ItemCount int             `json:"item_count"`
	Address   json.RawMessage `json:"address"`
	Remark    string          `json:"remark,omitempty"`
	Source    string          `json:"source"`
	ExpireAt  time.Time       `json:"expire_at"`
	PaidAt    *time.Time      `json:"paid_at,omitempty"`
	ClosedAt  *time.Time      `json:"closed_at,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	Items     []Item          `json:"items,omitempty"`
}

// MarshalJSON renders money as decimal strings.
func (o Order) MarshalJSON() ([]byte, error) {
	type plain Order
	return json.Marshal(struct {
		plain
		Total     string `json:"total_amount"`
		Discount  string `json:"discount_amount"`
		PayAmount string `json:"pay_amount"`
	}{plain(o), o.Total.String(), o.Discount.String(), o.PayAmount.String()})
}

// MarshalJSON renders money as decimal strings.
func (it Item) MarshalJSON() ([]byte, error) {
	type plain Item
	return json.Marshal(struct {
		plain
		UnitPrice string `json:"unit_price"`
		Amount    string `json:"amount"`
	}{plain(it), it.UnitPrice.String(), it.Amount.String()})
}

// PayResult is the outcome of a successful payment.
type PayResult struct {
	OrderID     uint64 `json:"order_id"`
	PaymentNo   string `json:"pay_no"`
	Amount      string `json:"amount"`
	MessageSent bool   `json:"message_sent"` // sync: broker stored it; async: handed off; false: the relay re-sends it later
}
