package canal

import (
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/ferry-cdc/ferry/pkg/checkpoint"
	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// privateSource is a MariaDB server of the test's own, started with the shared source's binlog
// flags (sync_binlog=0), so that the test can SIGKILL it and damage its binlog without
// disturbing the shared stack.
type privateSource struct {
	dir, addr string
	cmd       *exec.Cmd
	root      *sql.DB
}

func startPrivateSource(t *testing.T) *privateSource {
	t.Helper()
	for _, bin := range []string{"mariadbd", "mariadb-install-db"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not installed (scripts/install-deps installs mariadb-server): %v", bin, err)
		}
	}
	dir, err := os.MkdirTemp("", "ferry-crash-") // short: the socket path is limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &privateSource{dir: dir, addr: l.Addr().String()}
	l.Close()
	small := []string{"--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M", "--innodb-data-file-path=ibdata1:4M:autoextend"}
	install := exec.Command("mariadb-install-db", append([]string{"--no-defaults", "--datadir=" + filepath.Join(dir, "data"),
		"--auth-root-authentication-method=socket", "--skip-test-db", "--user=" + currentUser()}, small...)...)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	p.start(t)
	t.Cleanup(func() { p.kill(t) })
	mustExec(t, p.root,
		"CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl'",
		"GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'repl'@'127.0.0.1'",
		"CREATE DATABASE x",
		"CREATE TABLE x.t (id INT PRIMARY KEY, v VARCHAR(20))",
		"CREATE TABLE x.scratch (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(200))")
	return p
}

func currentUser() string {
	if os.Geteuid() == 0 {
		return "root"
	}
	return os.Getenv("USER")
}

// start runs mariadbd with scripts/stack's source flags and waits until it accepts connections.
func (p *privateSource) start(t *testing.T) {
	t.Helper()
	_, port, _ := net.SplitHostPort(p.addr)
	sock := filepath.Join(p.dir, "s.sock")
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(p.dir, "data"), "--socket=" + sock,
		"--port=" + port, "--bind-address=127.0.0.1", "--skip-name-resolve", "--character-set-server=utf8mb4",
		"--default-time-zone=+00:00", "--innodb-log-file-size=4M", "--innodb-buffer-pool-size=16M",
		"--innodb-flush-log-at-trx-commit=2", "--server-id=1", "--log-bin=" + filepath.Join(p.dir, "binlog"),
		"--binlog-format=ROW", "--binlog-row-image=FULL", "--binlog-row-metadata=FULL", "--sync-binlog=0",
		"--user=" + currentUser()}
	log, err := os.OpenFile(filepath.Join(p.dir, "mariadbd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p.cmd = exec.Command("mariadbd", args...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cfg := gomysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", sock
	conn, err := gomysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p.root = sql.OpenDB(conn)
	deadline := time.Now().Add(30 * time.Second)
	for p.root.Ping() != nil {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(p.dir, "mariadbd.log"))
			t.Fatalf("private mariadbd did not start within 30s:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill SIGKILLs the server (no shutdown: the binlog is left as the crash left it).
func (p *privateSource) kill(t *testing.T) {
	if p.cmd == nil {
		return
	}
	p.root.Close()
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// head returns SHOW MASTER STATUS.
func (p *privateSource) head(t *testing.T) (string, uint64) {
	t.Helper()
	var file, doDB, ignoreDB string
	var pos uint64
	if err := p.root.QueryRow("SHOW MASTER STATUS").Scan(&file, &pos, &doDB, &ignoreDB); err != nil {
		t.Fatal(err)
	}
	return file, pos
}

// eventStart returns the start position of the first event of type typ at or after from.
func (p *privateSource) eventStart(t *testing.T, file string, from uint64, typ string) uint64 {
	t.Helper()
	rows, err := p.root.Query(fmt.Sprintf("SHOW BINLOG EVENTS IN '%s' FROM %d", file, from))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var log, evType, info string
		var pos, sid, end uint64
		if err := rows.Scan(&log, &pos, &evType, &sid, &end, &info); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(evType, typ) {
			return pos
		}
	}
	t.Fatalf("no %s event in %s after %d", typ, file, from)
	return 0
}

// crashInside writes a transaction into x.scratch (not streamed), SIGKILLs the server, cuts its
// binlog file 10 bytes into the transaction's first event of type typ, so that the file ends in
// a half-written event as a crash mid-write leaves it, and restarts the server (crash recovery
// then opens a new binlog file). It returns the boundary before the transaction.
func (p *privateSource) crashInside(t *testing.T, typ string) checkpoint.State {
	t.Helper()
	file, pos := p.head(t)
	mustExec(t, p.root, "INSERT INTO x.scratch (v) VALUES (REPEAT('b', 150))")
	cut := p.eventStart(t, file, pos, typ) + 10
	p.kill(t)
	if err := os.Truncate(filepath.Join(p.dir, file), int64(cut)); err != nil {
		t.Fatal(err)
	}
	p.start(t)
	if next, _ := p.head(t); next == file {
		t.Fatalf("the server kept writing %s after the crash; the test needs a new binlog file", file)
	}
	return checkpoint.State{File: file, Pos: pos, Epoch: 1}
}

// TestCrashTailSkipsToNextFile: a source crash left the checkpoint's binlog file ending in a
// half-written event (ERROR 1236 "binlog truncated in the middle of event" on every start). The
// tailer must continue at the next file and lose no row committed after the crash; a checkpoint
// that is not the end of the file's valid data must still stop with ErrPurged.
func TestCrashTailSkipsToNextFile(t *testing.T) {
	p := startPrivateSource(t)
	cfg := DefaultConfig()
	cfg.SourceAddr, cfg.User, cfg.Password = p.addr, "repl", "repl"
	cfg.ServerID = uint32(100000 + rand.IntN(1<<30))
	cfg.Include = []string{"x.t"}
	cfg.NameServer = "127.0.0.1:1" // unused: the tailer publishes into a recorder
	cfg.Heartbeat, cfg.ReadTimeout = time.Second, 10*time.Second
	cfg.FlushInterval, cfg.CheckpointWait = 20*time.Millisecond, 50*time.Millisecond

	next := 100
	for _, tc := range []struct{ name, cutIn string }{
		{"half-written first event of the transaction (checkpoint = end of valid data)", "Gtid"},
		{"half-written rows event after complete events of the transaction", "Write_rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next++
			mustExec(t, p.root, fmt.Sprintf("INSERT INTO x.t VALUES (%d, 'before')", next))
			from := p.crashInside(t, tc.cutIn)
			c := cfg
			c.DataDir = t.TempDir()
			mt := startMem(t, c, 2, &from)
			mustExec(t, p.root, fmt.Sprintf("INSERT INTO x.t VALUES (%d, 'after')", next+1000))
			rows := mt.waitRows(t, 1, 30*time.Second)
			time.Sleep(200 * time.Millisecond)
			rows, _ = publishtest.Flatten(mt.rec.Snapshot())
			if len(rows) != 1 || rows[0].Type != "INSERT" || *rows[0].Data["id"] != fmt.Sprint(next+1000) {
				t.Fatalf("rows after the crash = %+v, want exactly the INSERT of id %d", rows, next+1000)
			}
			if n := testutilCount(mt.tailer.metrics.CrashTailSkips); n != 1 {
				t.Errorf("ferry_tailer_crash_tail_skips_total = %v, want 1", n)
			}
		})
	}
	t.Run("checkpoint inside the file's valid data still stops", func(t *testing.T) {
		from := p.crashInside(t, "Gtid")
		from.Pos -= 3 // inside the previous event: not a boundary
		c := cfg
		c.DataDir = t.TempDir()
		mt := startMem(t, c, 2, &from)
		var err error
		select {
		case err = <-mt.done:
			mt.done <- err
		case <-time.After(30 * time.Second):
			t.Fatal("tailer did not stop within 30s")
		}
		if !errors.Is(err, ErrPurged) {
			t.Fatalf("err = %v, want ErrPurged", err)
		}
		if n := testutilCount(mt.tailer.metrics.CrashTailSkips); n != 0 {
			t.Errorf("ferry_tailer_crash_tail_skips_total = %v, want 0", n)
		}
	})
}
