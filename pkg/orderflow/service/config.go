// Package service is the order service: create, pay, refund, cancel and query orders over the
// `shop` schema (schemas/order-db.sql), its HTTP/JSON API, the order-paid outbox relay and the
// expired-order closer.
//
// Stock policy: ordinary orders take stock when they are paid (one conditional UPDATE per line
// inside the pay transaction, so stock never goes below zero and of two payers of the last unit
// exactly one wins); creating one reserves nothing, so closing or cancelling it restores nothing.
// Flash-sale orders (source = 'flash_sale') are different: the unit was already won in Redis, so
// the order-creation worker reserves the MariaDB stock when it creates the order, paying takes
// nothing more, and cancel/close/refund give the unit back. Refunding a paid order always
// restores its stock (the goods have not shipped in this model).
package service

import (
	"errors"
	"fmt"
	"time"
)

// ErrConfig marks an invalid service configuration.
var ErrConfig = errors.New("invalid order service config")

// Config configures the order service.
type Config struct {
	// OrderTTL is how long an unpaid order stays payable; the closer closes it afterwards.
	OrderTTL time.Duration `yaml:"order-ttl"`
	// PaidTopic is the RocketMQ topic of order-paid messages.
	PaidTopic string `yaml:"paid-topic"`
	// MaxItems bounds the lines of one order.
	MaxItems int `yaml:"max-items"`
	// MaxQuantity bounds the quantity of one line.
	MaxQuantity int `yaml:"max-quantity"`
}

// DefaultConfig returns a 30-minute order TTL, the `order_pay_success` topic, at most 50 lines
// per order and at most 1,000 units per line.
func DefaultConfig() Config {
	return Config{OrderTTL: 30 * time.Minute, PaidTopic: "order_pay_success", MaxItems: 50, MaxQuantity: 1000}
}

// Validate reports the first invalid field, naming the fix.
func (c Config) Validate() error {
	switch {
	case c.OrderTTL <= 0:
		return fmt.Errorf("%w: order TTL %v: use a positive duration such as 30m", ErrConfig, c.OrderTTL)
	case c.PaidTopic == "":
		return fmt.Errorf("%w: empty paid topic: set e.g. order_pay_success", ErrConfig)
	case c.MaxItems < 1 || c.MaxItems > 1000:
		return fmt.Errorf("%w: max items %d: use 1-1000", ErrConfig, c.MaxItems)
	case c.MaxQuantity < 1:
		return fmt.Errorf("%w: max quantity %d: use 1 or more", ErrConfig, c.MaxQuantity)
	}
	return nil
}
