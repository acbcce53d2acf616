package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/shopspring/decimal"

	"github.com/ferry-cdc/ferry/internal/pipelinetest"
	"github.com/ferry-cdc/ferry/internal/testenv"
)

const benchRows = 200_000

// BenchmarkEndToEndCatchUp writes benchRows order rows while nothing runs, then starts the tailer
// and both replayers and measures the rows/s until each copy holds them all (binlog -> broker ->
// copy). The baseline, measured in the same run, is the slowest raw stage of the same rows: a bare
// go-mysql decode of the binlog range, and a plain bulk load into the same copy server (multi-row
// INSERT for MySQL, one native batch for ClickHouse). Ratio = end-to-end / slowest raw stage.
func BenchmarkEndToEndCatchUp(b *testing.B) {
	st := testenv.Get(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		p := pipelinetest.New(b, st, pipelinetest.Options{Queues: 8})
		src := st.OpenSource(b, p.SourceDB)
		from := head(b, src)
		loadOrders(b, src, benchRows)
		to := head(b, src)
		decode := rawDecode(b, st, from, to)
		start := time.Now()
		p.StartTailer(b, "--start-file", from.file, "--start-pos", fmt.Sprint(from.pos))
		for _, s := range pipelinetest.Sinks {
			p.StartReplayer(b, s)
		}
		took := map[string]time.Duration{}
		copies := openCopies(b, st, p)
		for len(took) < len(pipelinetest.Sinks) {
			for _, s := range pipelinetest.Sinks {
				if _, done := took[s]; !done && copyRows(copies[s], s) >= benchRows {
					took[s] = time.Since(start)
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
		for _, s := range pipelinetest.Sinks {
			e2e := benchRows / took[s].Seconds()
			raw := math.Min(decode, rawLoad(ctx, b, st, s))
			b.ReportMetric(e2e, s+"_rows/s")
			b.ReportMetric(e2e/raw, s+"_ratio")
		}
		b.ReportMetric(decode, "raw_decode_rows/s")
		reportRSS(b, p)
	}
}

// loadOrders inserts n orders in 10,000-row transactions with MariaDB's sequence engine.
func loadOrders(b *testing.B, db *sql.DB, n int) {
	for lo := 1; lo <= n; lo += 10_000 {
		q := fmt.Sprintf(`INSERT INTO orders (id, order_no, user_id, status, total_amount, pay_amount, item_count,
			address, expire_at, created_at) SELECT seq, LPAD(seq, 24, '0'), seq %% 5000, 'paid', seq / 100, seq / 100, 1,
			'{"city":"Hangzhou"}', '2026-11-23 20:00:00.000', '2026-11-23 19:00:00.123' FROM seq_%d_to_%d`, lo, min(lo+9_999, n))
		if _, err := db.Exec(q); err != nil {
			b.Fatalf("load orders: %v", err)
		}
	}
}

type binlogPos struct {
	file string
	pos  uint32
}

func head(b *testing.B, db *sql.DB) binlogPos {
	var p binlogPos
	var doDB, ignoreDB string
	if err := db.QueryRow("SHOW MASTER STATUS").Scan(&p.file, &p.pos, &doDB, &ignoreDB); err != nil {
		b.Fatalf("SHOW MASTER STATUS: %v", err)
	}
	return p
}

// rawDecode reads [from, to) with a bare BinlogSyncer and returns decoded rows/s.
func rawDecode(b *testing.B, st *testenv.Stack, from, to binlogPos) float64 {
	host, port, _ := strings.Cut(st.SourceAddr, ":")
	pn, _ := strconv.Atoi(port)
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{ServerID: 4_000_000 + uint32(time.Now().UnixNano()%1_000_000),
		Flavor: "mariadb", Host: host, Port: uint16(pn), User: st.ReplUser, Password: st.ReplPassword, UseDecimal: true})
	defer syncer.Close()
	start := time.Now()
	stream, err := syncer.StartSync(mysql.Position{Name: from.file, Pos: from.pos})
	if err != nil {
		b.Fatalf("raw decode: %v", err)
	}
	rows, file := 0, from.file
	for {
		ev, err := stream.GetEvent(context.Background())
		if err != nil {
			b.Fatalf("raw decode: %v", err)
		}
		if r, ok := ev.Event.(*replication.RotateEvent); ok {
			file = string(r.NextLogName)
		}
		if re, ok := ev.Event.(*replication.RowsEvent); ok {
			rows += len(re.Rows)
		}
		if file == to.file && ev.Header.LogPos >= to.pos {
			return float64(rows) / time.Since(start).Seconds()
		}
	}
}

// openCopies opens each sink's copy database once.
func openCopies(b *testing.B, st *testenv.Stack, p *pipelinetest.Pipeline) map[string]*sql.DB {
	ch := clickhouse.OpenDB(st.ClickHouseOptions(p.CopyDB["clickhouse"]))
	b.Cleanup(func() { ch.Close() })
	return map[string]*sql.DB{"mysql": st.OpenCopy(b, p.CopyDB["mysql"]), "clickhouse": ch}
}

// copyRows counts the live orders in a sink's copy (0 while the table is not visible yet).
func copyRows(db *sql.DB, sink string) int {
	q := "SELECT COUNT(*) FROM orders WHERE _deleted = 0"
	if sink == "clickhouse" {
		q = "SELECT toInt64(count()) FROM orders FINAL WHERE _deleted = 0"
	}
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		return 0
	}
	return int(n)
}

// rawLoad bulk-loads benchRows plain rows of the orders' shape into a scratch table on the sink's
// server and returns rows/s.
func rawLoad(ctx context.Context, b *testing.B, st *testenv.Stack, sink string) float64 {
	if sink == "mysql" {
		return rawMySQLLoad(b, st)
	}
	return rawClickHouseLoad(ctx, b, st)
}

func rawMySQLLoad(b *testing.B, st *testenv.Stack) float64 {
	db := st.OpenCopy(b, st.NewCopyDatabase(b))
	if _, err := db.Exec(`CREATE TABLE raw (id BIGINT UNSIGNED PRIMARY KEY, order_no CHAR(24), user_id BIGINT UNSIGNED,
		status VARCHAR(16), total_amount DECIMAL(12,2), pay_amount DECIMAL(12,2), item_count SMALLINT UNSIGNED,
		address TEXT, expire_at DATETIME(3), created_at DATETIME(3))`); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	const per = 500
	for lo := 1; lo <= benchRows; lo += per {
		var sb strings.Builder
		sb.WriteString("INSERT INTO raw VALUES ")
		for id := lo; id < lo+per && id <= benchRows; id++ {
			if id > lo {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `(%d,'%024d',%d,'paid',%d.%02d,%d.%02d,1,'{"city":"Hangzhou"}','2026-11-23 20:00:00.000','2026-11-23 19:00:00.123')`,
				id, id, id%5000, id/100, id%100, id/100, id%100)
		}
		if _, err := db.Exec(sb.String()); err != nil {
			b.Fatalf("raw MySQL load: %v", err)
		}
	}
	return benchRows / time.Since(start).Seconds()
}

func rawClickHouseLoad(ctx context.Context, b *testing.B, st *testenv.Stack) float64 {
	conn := st.OpenClickHouseDatabase(b, st.NewClickHouseDatabase(b))
	if err := conn.Exec(ctx, `CREATE TABLE raw (id UInt64, order_no String, user_id UInt64, status String,
		total_amount Decimal(12,2), pay_amount Decimal(12,2), item_count UInt16, address String,
		expire_at DateTime, created_at DateTime, _version UInt64, _deleted UInt8)
		ENGINE = ReplacingMergeTree(_version) ORDER BY id`); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO raw (id, order_no, user_id, status, total_amount, pay_amount, item_count, address, expire_at, created_at, _version, _deleted)")
	if err != nil {
		b.Fatal(err)
	}
	ts := time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC)
	for id := 1; id <= benchRows; id++ {
		amount := fmt.Sprintf("%d.%02d", id/100, id%100)
		if err := batch.Append(uint64(id), fmt.Sprintf("%024d", id), uint64(id%5000), "paid", decimalOf(amount),
			decimalOf(amount), uint16(1), `{"city":"Hangzhou"}`, ts, ts, uint64(id), uint8(0)); err != nil {
			b.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		b.Fatalf("raw ClickHouse load: %v", err)
	}
	return benchRows / time.Since(start).Seconds()
}

// rssMB reads a running process's peak resident set size (VmHWM) in MB.
func rssMB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatalf("read RSS of pid %d: %v", pid, err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatalf("no VmHWM for pid %d", pid)
	return 0
}

func decimalOf(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// reportRSS reports the peak resident set size of the tailer and of each replayer.
func reportRSS(b *testing.B, p *pipelinetest.Pipeline) {
	b.ReportMetric(rssMB(b, p.Tailer().Pid()), "tailer_rss_MB")
	for _, s := range pipelinetest.Sinks {
		b.ReportMetric(rssMB(b, p.Replayer(s).Pid()), s+"_replayer_rss_MB")
	}
}
