package publish

import "github.com/ferry-cdc/ferry/pkg/event"

// markDDLCopy marks the copy of a DDL message for queue q. The copy on queue 0 stays as Canal
// sends a DDL (Canal sends it to queue 0 only); the copies on the other queues, which the
// replayers need so that each queue meets the DDL before the rows after it, are written in a form
// a Canal client skips (event.DDLCopy), so a Canal consumer that runs DDL runs it once.
func markDDLCopy(m *event.Message, q int) {
	if q > 0 {
		m.MarkDDLCopy()
	}
}
