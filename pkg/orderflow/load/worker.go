package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ferry-cdc/ferry/pkg/orderflow/service"
)

// worker issues requests; it keeps its own created and paid orders so that pays, cancels and
// refunds act on real orders without coordination between workers.
type worker struct {
	cfg      Config
	rnd      *rand.Rand
	products []uint64
	target   Target
	c        *counters
	created  []uint64
	paid     []uint64
}

// maxKept bounds the orders a worker remembers.
const maxKept = 1000

var channels = []string{"alipay", "wechat", "card", "balance"}

func newWorker(cfg Config, i int, products []uint64, target Target, c *counters) *worker {
	return &worker{cfg: cfg, rnd: seedFor(cfg.Seed, i), products: products, target: target, c: c}
}

func (w *worker) loop(ctx context.Context, p *pacer) {
	for ctx.Err() == nil {
		if p != nil {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-p.tokens:
				if !ok {
					return
				}
			}
		}
		if w.cfg.Count > 0 && w.c.requests.Add(1) > int64(w.cfg.Count) {
			w.c.requests.Add(-1)
			return
		} else if w.cfg.Count == 0 {
			w.c.requests.Add(1)
		}
		w.one(ctx)
	}
}

// next picks an operation by weight, falling back to create when there is no order for it.
func (w *worker) next() Request {
	m := w.cfg.Mix
	n := w.rnd.IntN(m.total())
	pick := func(list *[]uint64) uint64 {
		l := *list
		if len(l) == 0 {
			return 0
		}
		i := w.rnd.IntN(len(l))
		id := l[i]
		l[i] = l[len(l)-1]
		*list = l[:len(l)-1]
		return id
	}
	switch {
	case n < m.Create:
	case n < m.Create+m.Pay:
		if id := pick(&w.created); id != 0 {
			return Request{Op: OpPay, OrderID: id, Channel: channels[w.rnd.IntN(len(channels))]}
		}
	case n < m.Create+m.Pay+m.Cancel:
		if id := pick(&w.created); id != 0 {
			return Request{Op: OpCancel, OrderID: id}
		}
	case n < m.Create+m.Pay+m.Cancel+m.Refund:
		if id := pick(&w.paid); id != 0 {
			return Request{Op: OpRefund, OrderID: id}
		}
	default:
		if all := len(w.paid) + len(w.created); all > 0 {
			i := w.rnd.IntN(all)
			if i < len(w.paid) {
				return Request{Op: OpQuery, OrderID: w.paid[i]}
			}
			return Request{Op: OpQuery, OrderID: w.created[i-len(w.paid)]}
		}
	}
	return Request{Op: OpCreate, Create: w.newOrder()}
}

func (w *worker) newOrder() *service.CreateRequest {
	lines := 1 + w.rnd.IntN(3)
	req := &service.CreateRequest{UserID: 1 + uint64(w.rnd.IntN(w.cfg.Users)),
		Address: json.RawMessage(fmt.Sprintf(`{"city":"City %d","line1":"%d Main St","zip":"%05d"}`,
			w.rnd.IntN(300), w.rnd.IntN(9999), w.rnd.IntN(99999)))}
	for i := 0; i < lines; i++ {
		req.Items = append(req.Items, service.ItemRequest{ProductID: w.products[w.rnd.IntN(len(w.products))], Quantity: 1 + w.rnd.IntN(3)})
	}
	return req
}

func (w *worker) one(ctx context.Context) {
	r := w.next()
	id, err := w.target.Do(ctx, r)
	w.c.op(r.Op).Add(1)
	switch {
	case err == nil:
		w.c.ok.Add(1)
		if r.Op != OpQuery {
			w.c.writes.Add(1)
		}
		w.remember(r, id)
	case errors.Is(err, ErrRejected):
		w.c.rejected.Add(1)
	case ctx.Err() != nil: // the run ended mid-request: not the target's fault
		w.c.requests.Add(-1)
	default:
		w.c.errors.Add(1)
		w.c.firstErr.CompareAndSwap(nil, err.Error())
	}
}

func (w *worker) remember(r Request, id uint64) {
	switch {
	case r.Op == OpCreate && len(w.created) < maxKept:
		w.created = append(w.created, id)
	case r.Op == OpPay && len(w.paid) < maxKept:
		w.paid = append(w.paid, r.OrderID)
	}
}
