package backfill

import "context"

// Publisher delivers change-event messages durably: Publish returns nil only after every
// message was acknowledged (RocketMQ SEND_OK, or committed by a sink). A failed Publish may have
// delivered some messages; republishing is safe because snapshot rows are versioned.
type Publisher interface {
	Publish(ctx context.Context, msgs []Outgoing) error
	// Queues returns the number of queues of the topic, used for placement.
	Queues(ctx context.Context) (int, error)
}
