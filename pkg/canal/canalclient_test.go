package canal

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-cdc/ferry/pkg/publish/publishtest"
)

// canalLib returns the directory of Canal 1.1.7's client jars (testdata/canalclient/pom.xml's
// runtime dependencies), fetching them with Maven into ~/.cache/ferry once.
func canalLib(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FERRY_CANAL_LIB")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(cache, "ferry", "canal-1.1.7", "lib")
	}
	if _, err := os.Stat(filepath.Join(dir, "canal.protocol-1.1.7.jar")); err == nil {
		return dir
	}
	if _, err := exec.LookPath("mvn"); err != nil {
		t.Fatal("mvn not installed (scripts/install-deps installs it): cannot fetch Canal's client jars")
	}
	tmp := fmt.Sprintf("%s.tmp.%d", dir, os.Getpid())
	cmd := exec.Command("mvn", "-q", "-B", "-f", "testdata/canalclient/pom.xml", "dependency:copy-dependencies",
		"-DoutputDirectory="+tmp, "-DincludeScope=runtime")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		t.Fatalf("fetch Canal's client jars: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, dir); err != nil && !fileExists(filepath.Join(dir, "canal.protocol-1.1.7.jar")) {
		t.Fatal(err)
	}
	os.RemoveAll(tmp)
	return dir
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// canalView is CanalView.java's report.
type canalViewReport struct {
	DDLRuns         []string `json:"ddlRuns"`
	Truncates       int      `json:"truncates"`
	Rows            int      `json:"rows"`
	GTIDs           int      `json:"gtids"`
	Messages        int      `json:"messages"`
	ConvertFailures []string `json:"convertFailures"`
}

// runCanalView compiles testdata/canalclient/CanalView.java and runs it over bodies.
func runCanalView(t *testing.T, bodies [][]byte) canalViewReport {
	t.Helper()
	for _, tool := range []string{"java", "javac"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (scripts/install-deps installs the JDK)", tool)
		}
	}
	cp := filepath.Join(canalLib(t), "*")
	classes := t.TempDir()
	if out, err := exec.Command("javac", "-cp", cp, "-d", classes, "testdata/canalclient/CanalView.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	dir := t.TempDir()
	args := []string{"-cp", classes + string(os.PathListSeparator) + cp, "CanalView"}
	for i, b := range bodies {
		p := filepath.Join(dir, fmt.Sprintf("%04d.json", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	out, err := exec.Command("java", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("java CanalView: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "CANALVIEW "); ok {
			var r canalViewReport
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	t.Fatalf("no report from CanalView:\n%s", out)
	return canalViewReport{}
}

// TestCanalClientClasses reads the message bytes of a live stream with Canal 1.1.7's own client
// classes (fastjson2 FlatMessage and CommonMessage, the adapters' flatMessage2Dml and
// JdbcTypeUtil.typeConvert): every message parses and has a gtid, every DDL runs once in Canal's
// RDB adapter though it is on every queue, no DDL copy becomes a TRUNCATE, and every value of
// every type converts by its sqlType, except BIT values above 127, which Canal's own messages
// (same code, same value) fail the same way.
func TestCanalClientClasses(t *testing.T) {
	st, dbName, src := newSourceDB(t, zooDDL)
	mt := startMem(t, testConfig(t, st, dbName), 4, nil)
	conn := src
	mustExec(t, conn, "SET time_zone = '+00:00'", "SET sql_mode = ''")
	for _, r := range zooRows {
		mustExec(t, conn, "INSERT INTO zoo VALUES "+r)
	}
	mustExec(t, conn, "ALTER TABLE zoo ADD COLUMN extra INT NULL", "TRUNCATE TABLE zoo", "INSERT INTO zoo (id) VALUES (9)")
	mt.waitRows(t, len(zooRows)+1, 30*time.Second)
	var bodies [][]byte
	for _, r := range mt.rec.Snapshot() {
		bodies = append(bodies, r.Body)
	}
	rows, _ := publishtest.Flatten(mt.rec.Snapshot())
	rep := runCanalView(t, bodies)

	if rep.Messages != len(bodies) || rep.GTIDs != len(bodies) || rep.Rows != len(rows) {
		t.Errorf("Canal read %d messages (%d with gtid), %d rows; sent %d messages, %d rows", rep.Messages, rep.GTIDs, rep.Rows, len(bodies), len(rows))
	}
	if len(rep.DDLRuns) != 2 || !strings.HasPrefix(rep.DDLRuns[0], "ALTER") || !strings.HasPrefix(rep.DDLRuns[1], "TRUNCATE") || rep.Truncates != 0 {
		t.Errorf("Canal's adapter runs DDL %q and %d TRUNCATEs from DDL copies; want the ALTER and the TRUNCATE once each", rep.DDLRuns, rep.Truncates)
	}
	for _, f := range rep.ConvertFailures {
		if !canalAlsoFails(strings.Fields(f)) {
			t.Errorf("Canal's JdbcTypeUtil.typeConvert cannot convert %s", f)
		}
	}
}

// canalAlsoFails tells whether Canal's adapter also fails to convert a value (column, mysqlType,
// sqlType, value) from Canal's own message, which carries the same code and text: BIT values
// above 127 (Byte.parseByte) and TIME values outside one day (a date parser).
func canalAlsoFails(f []string) bool {
	typ, val := f[1], f[len(f)-1]
	switch {
	case strings.HasPrefix(typ, "bit("):
		v, ok := new(big.Int).SetString(val, 10)
		return ok && v.Cmp(big.NewInt(127)) > 0
	case strings.HasPrefix(typ, "time"):
		h, _, _ := strings.Cut(val, ":")
		return strings.HasPrefix(val, "-") || len(h) > 2 || h >= "24"
	}
	return false
}
