package difftest

import (
	"math/rand/v2"
	"sort"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
)

// fault is one SIGKILL of a pipeline process before operation kill and its restart (as a
// supervisor would) before operation restart: the workload goes on while the process is down.
type fault struct {
	proc          string // "tailer" or a sink name (its replayer)
	kill, restart int
}

// faults is a round's fault schedule.
type faults struct {
	h        *harness
	plan     []fault
	down     map[string]bool
	injected map[string]int
}

// newFaults draws a round's schedule: in the short form one tailer and one replayer kill, in the
// full form one or two kills of random processes, at random operations, never overlapping.
func newFaults(h *harness, r *rand.Rand, m mode) *faults {
	procs := []string{"tailer", pipelinetest.Sinks[r.IntN(len(pipelinetest.Sinks))]}
	if !m.short {
		all := append([]string{"tailer"}, pipelinetest.Sinks...)
		procs = procs[:0]
		for range 1 + r.IntN(2) {
			procs = append(procs, all[r.IntN(len(all))])
		}
	}
	f := &faults{h: h, down: map[string]bool{}, injected: map[string]int{}}
	starts := make([]int, len(procs))
	for i := range starts {
		starts[i] = r.IntN(m.ops)
	}
	sort.Ints(starts)
	next := 0
	for i, p := range procs {
		kill := max(starts[i], next)
		restart := kill + 3 + r.IntN(40)
		f.plan = append(f.plan, fault{proc: p, kill: kill, restart: restart})
		next = restart + 1
	}
	return f
}

// before is the workload's hook: it kills and restarts processes on schedule.
func (f *faults) before(op int) error {
	for _, x := range f.plan {
		switch op {
		case x.kill:
			f.kill(x.proc)
		case x.restart:
			f.start(x.proc)
		}
	}
	return nil
}

// finish restarts whatever is still down after the last operation.
func (f *faults) finish() {
	for _, x := range f.plan {
		if f.down[x.proc] {
			f.start(x.proc)
		}
	}
}

func (f *faults) kill(proc string) {
	p := f.h.p
	if proc == "tailer" {
		p.Tailer().Kill()
	} else {
		p.Replayer(proc).Kill()
	}
	f.down[proc] = true
	f.injected["kill-"+proc]++
	f.h.totals.faults["kill-"+proc]++
}

func (f *faults) start(proc string) {
	if !f.down[proc] {
		return
	}
	if proc == "tailer" {
		f.h.p.StartTailer(f.h.t)
	} else {
		f.h.p.StartReplayer(f.h.t, proc)
	}
	f.down[proc] = false
}
