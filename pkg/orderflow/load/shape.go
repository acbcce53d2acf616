package load

import (
	"math"
	"sync/atomic"
	"time"
)

// targetRate is the shape's requests/s at elapsed time t (0 for the closed loop).
func (c Config) targetRate(t time.Duration) float64 {
	switch c.Shape {
	case ShapeEvening:
		x := math.Sin(math.Pi * float64(t) / float64(c.Duration))
		return c.Rate + (c.Peak-c.Rate)*x*x
	case ShapeFlash:
		if t%c.FlashEvery < c.FlashLen {
			return c.FlashRate
		}
	}
	return c.Rate
}

// pacer turns the rate curve into request tokens: every tick it adds rate*dt to a running
// budget and releases whole tokens. Tokens the workers cannot take at once are counted as shed
// (the generator is open-loop: a slow target lowers the achieved rate, it does not slow the
// schedule).
type pacer struct {
	cfg       Config
	tokens    chan struct{}
	shed      atomic.Int64
	scheduled atomic.Int64 // tokens released so far (taken or shed)
}

func (p *pacer) run(stop <-chan struct{}, start time.Time) {
	defer close(p.tokens)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var budget float64
	last := start
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			budget += p.cfg.targetRate(now.Sub(start)) * now.Sub(last).Seconds()
			last = now
			for ; budget >= 1; budget-- {
				p.scheduled.Add(1)
				select {
				case p.tokens <- struct{}{}:
				default:
					p.shed.Add(1)
				}
			}
		}
	}
}
