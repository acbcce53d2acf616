// Package verify proves that a copy matches its source (docs/design.md section 7).
//
// For each table it walks the source's primary key in chunks (keyset ranges, composite keys
// included) and computes, server-side on both sides, the live row count and an order-independent
// checksum: the XOR and the sum modulo 2^64 of a 64-bit hash (the first 8 bytes of MD5) of each
// row's canonical text. The canonical text renders every column identically on MariaDB and on
// ClickHouse (decimals without trailing fraction zeros, datetimes in UTC at the precision the
// copy keeps, binary as hex, NULL distinct from every string), so equal rows hash equally on both
// engines. Tombstones
// (_deleted = 1) are excluded; ClickHouse is read with FINAL.
//
// A chunk whose checksums differ is narrowed by bisection until it is small enough to compare row
// hashes key by key; the differing keys are then re-checked after a delay, several times, so that
// rows the replayer had not applied yet on a live source are not reported (see
// docs/operations-backfill-verify.md). What still differs is reported as missing, extra or
// changed, counted in metrics, and can be repaired by re-snapshotting the keys (Repairer).
package verify

import (
	"errors"
	"fmt"
	"time"
)

// Config configures a verification run.
type Config struct {
	// ChunkRows is the number of source rows per checksum chunk.
	ChunkRows int `yaml:"chunk-rows"`
	// DiffRows is the chunk size below which a mismatching chunk is compared row by row instead
	// of being bisected further.
	DiffRows int `yaml:"diff-rows"`
	// MaxDiffKeys caps the differing keys collected per table (the counts stay exact per chunk).
	MaxDiffKeys int `yaml:"max-diff-keys"`
	// Retries is how many times differing keys are re-checked before they are reported; each
	// re-check waits RetryInterval first, giving the replayer time to apply changes that were in
	// flight during the first comparison.
	Retries int `yaml:"retries"`
	// RetryInterval is the wait before each re-check.
	RetryInterval time.Duration `yaml:"retry-interval"`
	// Parallel is the number of chunks compared at the same time.
	Parallel int `yaml:"parallel"`
	// ExcludeColumns are the tailer's exclude-columns globs (db.table.column): those non-key
	// columns are not streamed (the copy holds NULL or lacks them), so they are not compared.
	ExcludeColumns []string `yaml:"exclude-columns"`
}

// DefaultConfig returns the defaults: 10,000-row chunks bisected down to 500 rows, at most 10,000
// reported keys per table, 3 re-checks 2 s apart, 2 chunks in parallel.
func DefaultConfig() Config {
	return Config{ChunkRows: 10000, DiffRows: 500, MaxDiffKeys: 10000, Retries: 3, RetryInterval: 2 * time.Second, Parallel: 2}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.ChunkRows < 1:
		return fmt.Errorf("verify: chunk-rows is %d; use a positive number such as 10000", c.ChunkRows)
	case c.DiffRows < 1:
		return fmt.Errorf("verify: diff-rows is %d; use a positive number such as 500", c.DiffRows)
	case c.MaxDiffKeys < 1:
		return fmt.Errorf("verify: max-diff-keys is %d; use a positive number such as 10000", c.MaxDiffKeys)
	case c.Retries < 0 || c.RetryInterval < 0:
		return errors.New("verify: retries and retry-interval must not be negative")
	case c.Parallel < 1:
		return fmt.Errorf("verify: parallel is %d; use 1 or more", c.Parallel)
	}
	return nil
}
