package stacktest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/ferry-cdc/ferry/internal/testenv"
)

// TestClickHouseReplacingFinal batch-inserts several versions of each key,
// with tombstones, into a ReplacingMergeTree(_version) and checks that a
// FINAL select returns exactly the highest version per key, and that
// filtering _deleted = 0 hides the tombstones.
func TestClickHouseReplacingFinal(t *testing.T) {
	s := testenv.Get(t)
	db := s.NewClickHouseDatabase(t)
	conn := s.OpenClickHouseDatabase(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := conn.Exec(ctx, `CREATE TABLE orders (
		id UInt64, status String, amount Decimal(18, 2), note Nullable(String), updated DateTime,
		_version UInt64, _deleted UInt8
	) ENGINE = ReplacingMergeTree(_version) ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	const keys, versions = 200, 3
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	// Two batches (two parts), versions out of order across and within them.
	for _, batchVersions := range [][]uint64{{3, 1}, {2}} {
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO orders (id, status, amount, note, updated, _version, _deleted)")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range batchVersions {
			for id := uint64(1); id <= keys; id++ {
				deleted := uint8(0)
				if v == versions && id%10 == 0 {
					deleted = 1 // the latest change of every tenth key is a DELETE
				}
				var note *string
				if id%2 == 0 {
					n := fmt.Sprintf("n%d", v)
					note = &n
				}
				amount := decimal.New(int64(id*100+v), -2)
				if err := batch.Append(id, fmt.Sprintf("v%d", v), amount, note, at.Add(time.Duration(v)*time.Second), v, deleted); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := batch.Send(); err != nil {
			t.Fatalf("send batch: %v", err)
		}
	}

	var rows, live, wrong uint64
	err = conn.QueryRow(ctx, `SELECT count(), countIf(_deleted = 0),
		countIf(status != 'v3' OR _version != 3 OR amount != toDecimal64(id * 100 + 3, 2) / 100)
		FROM orders FINAL`).Scan(&rows, &live, &wrong)
	if err != nil {
		t.Fatal(err)
	}
	if rows != keys || live != keys-keys/10 || wrong != 0 {
		t.Fatalf("FINAL: %d rows (%d live, %d not at the latest version); want %d rows, %d live, 0 stale",
			rows, live, wrong, keys, keys-keys/10)
	}
	var note *string
	var amount decimal.Decimal
	if err := conn.QueryRow(ctx, "SELECT note, amount FROM orders FINAL WHERE id = 4").Scan(&note, &amount); err != nil {
		t.Fatal(err)
	}
	if note == nil || *note != "n3" || !amount.Equal(decimal.RequireFromString("4.03")) {
		t.Fatalf("id 4: note %v amount %s; want n3, 4.03", note, amount)
	}
}
