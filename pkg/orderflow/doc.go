// Package orderflow holds what the order system's parts share: the order-paid and flash-sale
// message formats and small helpers. The stages live in sub-packages:
//
//   - service:   the order service (create, pay, refund, cancel, query), its HTTP API, the
//     order-paid outbox relay and the expired-order closer;
//   - publish:   the RocketMQ producer with sync, async and one-way send modes;
//   - consumers: the order-paid consumers (points, coupon, notification, shipment);
//   - load:      the workload generator (`orderflow load`, `load.Run`);
//   - flashsale: the Redis stock gate, peak-shaving pull workers and reconciliation.
package orderflow
