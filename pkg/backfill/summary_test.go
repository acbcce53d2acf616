package backfill_test

import "strings"

// summaryBuf collects verify's summary for t.Log.
type summaryBuf struct{ strings.Builder }
