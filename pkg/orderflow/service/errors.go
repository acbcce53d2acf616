package service

import "errors"

// Sentinel errors of the service; the HTTP layer maps them to status codes. Every returned error
// wraps one of them together with a message that names the problem and the fix.
var (
	// ErrInvalid: the request is malformed or names something that does not exist (400).
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound: the order does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the order is in a state that does not allow the operation (409).
	ErrConflict = errors.New("conflict")
	// ErrOutOfStock: a product has fewer units than the order needs (409).
	ErrOutOfStock = errors.New("out of stock")
)
