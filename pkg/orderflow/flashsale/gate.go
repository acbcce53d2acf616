package flashsale

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ferry-cdc/ferry/pkg/orderflow"
	"github.com/ferry-cdc/ferry/pkg/orderflow/publish"
)

var (
	//go:embed gate.lua
	gateSrc    string
	gateScript = redis.NewScript(gateSrc)
	//go:embed release.lua
	releaseSrc    string
	releaseScript = redis.NewScript(releaseSrc)
)

// Result is the outcome of one buy request.
type Result string

// Buy results.
const (
	Won           Result = "won"            // a unit was deducted; the order will be created
	Replayed      Result = "won_replayed"   // same request id as an earlier win; nothing deducted again
	SoldOut       Result = "sold_out"       // rejected by the sold-out flag (Redis stock untouched)
	AlreadyBought Result = "already_bought" // this buyer already won a unit of this sale
	SoldOutAtEdge Result = "sold_out_edge"  // rejected by the in-process flag: no Redis call at all
)

// Gate turns buy requests into Redis deductions and flash-sale messages. Safe for concurrent use.
type Gate struct {
	rdb     redis.UniversalClient
	pub     publish.Publisher
	topic   string
	metrics *Metrics
	log     *slog.Logger

	mu    sync.Mutex
	sales map[uint64]*saleState
}

type saleState struct {
	sale    Sale
	soldOut edgeFlag // set once Redis reported sold out; checked before anything else
	won     sync.Map // request id -> struct{}: wins seen by this gate (at most the sale's stock)
}

// edgeFlag is a gate's in-process sold-out flag. Invariant: a unit given back to Redis after a
// failed send clears it, and a request that saw "sold out" before that release cannot set it
// again afterwards (it would hide the unit from this gate's buyers for good). So the flag is set
// for the release epoch the request started in, and counts only while no release followed.
type edgeFlag struct {
	releases atomic.Int64 // units given back so far
	setAt    atomic.Int64 // 1 + the release epoch in which sold out was seen; 0 never
}

func (f *edgeFlag) epoch() int64           { return f.releases.Load() }
func (f *edgeFlag) isSet(epoch int64) bool { return f.setAt.Load() == epoch+1 }
func (f *edgeFlag) set(epoch int64)        { f.setAt.Store(epoch + 1) }
func (f *edgeFlag) released()              { f.releases.Add(1) }

// NewGate returns a gate that publishes wins to topic through pub (which must be sync: the
// buyer is told "won" only once the message is stored).
func NewGate(rdb redis.UniversalClient, pub publish.Publisher, topic string, m *Metrics, log *slog.Logger) (*Gate, error) {
	if pub.Mode() != publish.ModeSync {
		return nil, fmt.Errorf("flash-sale gate needs send mode sync (got %s): a won unit must not be lost", pub.Mode())
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gate{rdb: rdb, pub: pub, topic: topic, metrics: m, log: log, sales: map[uint64]*saleState{}}, nil
}

// Open makes the gate accept requests for s (Preload must have run).
func (g *Gate) Open(s Sale) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sales[s.ID] = &saleState{sale: s}
}

func (g *Gate) state(saleID uint64) *saleState {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sales[saleID]
}

// Buy handles one request: in-process sold-out flag, then the Lua script, then (for a win) a
// sync send of the flash-sale message. If that send fails the error is returned, so the buyer
// can retry with the same request id; a fresh win's unit is released in Redis first, a replay's
// is kept for its buyer (see publishWin).
func (g *Gate) Buy(ctx context.Context, saleID, userID uint64, requestID string) (Result, error) {
	st := g.state(saleID)
	if st == nil {
		return "", fmt.Errorf("%w: sale %d is not open on this gate", ErrNoSale, saleID)
	}
	if userID == 0 || requestID == "" || len(requestID) > 40 {
		return "", fmt.Errorf("buy: user_id must be > 0 and request_id 1-40 characters")
	}
	epoch := st.soldOut.epoch()
	if st.soldOut.isSet(epoch) {
		// Only a replay of a win this gate saw goes on to Redis (to be answered "won" again).
		if _, replay := st.won.Load(requestID); !replay {
			g.metrics.Requests.WithLabelValues(string(SoldOutAtEdge)).Inc()
			return SoldOutAtEdge, nil
		}
	}
	k := keysOf(st.sale)
	user := strconv.FormatUint(userID, 10)
	res, err := gateScript.Run(ctx, g.rdb, k.list(), user, requestID).Slice()
	if err != nil || len(res) != 2 {
		g.metrics.Requests.WithLabelValues("error").Inc()
		return "", fmt.Errorf("buy in sale %d: run gate script: %v", saleID, err)
	}
	code, _ := res[0].(int64)
	r, err := g.result(ctx, st, epoch, code, userID, requestID, res[1])
	label := string(r)
	if err != nil {
		label = "error"
	}
	g.metrics.Requests.WithLabelValues(label).Inc()
	return r, err
}

func (g *Gate) result(ctx context.Context, st *saleState, epoch int64, code int64, userID uint64, requestID string, detail any) (Result, error) {
	switch code {
	case 0:
		st.soldOut.set(epoch)
		return SoldOut, nil
	case 1, 2: // a replay re-sends: the first send's verdict may never have reached the buyer
		if code == 2 && detail != strconv.FormatUint(userID, 10) {
			return "", fmt.Errorf("request id %s belongs to another buyer: use a fresh request id", requestID)
		}
		if err := g.publishWin(ctx, st, userID, requestID, code == 1); err != nil {
			return "", err
		}
		st.won.Store(requestID, struct{}{})
		if code == 2 {
			return Replayed, nil
		}
		return Won, nil
	case 3:
		return AlreadyBought, nil
	}
	return "", fmt.Errorf("%w: sale %d has no stock in Redis: preload it", ErrNoSale, st.sale.ID)
}

// publishWin sends the win. If the send fails, a fresh win (release) gives its unit back, so that
// it is not lost, and clears this gate's sold-out flag, so that the unit can be sold again (the
// script cleared the flag in Redis). A replay's unit is never given back: its first send may have
// stored the message, and the order it becomes would oversell a unit sold twice.
func (g *Gate) publishWin(ctx context.Context, st *saleState, userID uint64, requestID string, release bool) error {
	s := st.sale
	win := orderflow.FlashSaleWin{SaleID: s.ID, ProductID: s.ProductID, UserID: userID, RequestID: requestID,
		Price: s.Price, WonAt: time.Now().UTC()}
	err := g.pub.Publish(ctx, publish.Message{Topic: g.topic, Key: win.OrderRequestID(), Tag: "flash_win", Body: win.Encode()}, nil)
	if err == nil {
		return nil
	}
	g.metrics.SendFailed.Inc()
	if !release {
		return fmt.Errorf("buy in sale %d: re-send won request %s: %w (unit kept for it; retry with the same request id)", s.ID, requestID, err)
	}
	// Compensate with a fresh context: the request's may be the reason the send failed.
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	k := keysOf(s)
	n, rerr := releaseScript.Run(rctx, g.rdb, k.list(), strconv.FormatUint(userID, 10), requestID).Int()
	if rerr != nil || n != 1 {
		g.log.Error("flash sale: releasing an unsent unit failed; reconciliation will show it",
			"sale", s.ID, "user", userID, "request_id", requestID, "err", rerr)
	} else {
		st.soldOut.released()
	}
	return fmt.Errorf("buy in sale %d: enqueue order: %w (unit released; retry with the same request id)", s.ID, err)
}
