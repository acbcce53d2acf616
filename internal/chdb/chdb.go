// Package chdb runs SQL on the ClickHouse engine embedded in the chdb Python package (a current
// ClickHouse, 26.x) so that tests can check the SQL Ferry sends to ClickHouse on a current
// server as well as on the stack's 18.16. scripts/install-deps installs chdb into a virtual
// environment under ~/.cache/ferry/chdb-venv.
package chdb

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed run.py
var runner []byte

// ErrNotInstalled is returned when no Python with chdb is found.
var ErrNotInstalled = errors.New("chdb is not installed (run scripts/install-deps)")

// Step is one statement; Result asks for its rows.
type Step struct {
	SQL    string `json:"sql"`
	Result bool   `json:"result,omitempty"`
}

// Outcome is what one step did: Err is the engine's error text ("" on success); Columns and
// Rows hold a result step's answer (nil = SQL NULL).
type Outcome struct {
	Err     string
	Columns []string
	Rows    [][]*string
}

// Python returns the interpreter that has chdb: $FERRY_CHDB_PYTHON, else the virtual
// environment scripts/install-deps creates.
func Python() (string, error) {
	if p := os.Getenv("FERRY_CHDB_PYTHON"); p != "" {
		return p, nil
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", ErrNotInstalled
		}
		cache = filepath.Join(home, ".cache")
	}
	p := filepath.Join(cache, "ferry", "chdb-venv", "bin", "python")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: %s missing", ErrNotInstalled, p)
	}
	return p, nil
}

// Run executes steps in one chdb session (databases and tables live until it returns) and
// returns the engine version and one Outcome per step.
func Run(steps []Step) (string, []Outcome, error) {
	py, err := Python()
	if err != nil {
		return "", nil, err
	}
	in, err := json.Marshal(steps)
	if err != nil {
		return "", nil, err
	}
	script := filepath.Join(os.TempDir(), fmt.Sprintf("ferry-chdb-%d.py", os.Getpid()))
	if err := os.WriteFile(script, runner, 0o600); err != nil {
		return "", nil, fmt.Errorf("write chdb runner: %w", err)
	}
	defer os.Remove(script)
	cmd := exec.Command(py, script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", nil, fmt.Errorf("run chdb: %w: %s", err, stderr.String())
	}
	var res struct {
		Version string
		Steps   []struct {
			Error *string
			TSV   string
		}
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Steps) != len(steps) {
		return "", nil, fmt.Errorf("read chdb output (%d of %d steps): %v", len(res.Steps), len(steps), err)
	}
	outcomes := make([]Outcome, len(steps))
	for i, s := range res.Steps {
		if s.Error != nil {
			outcomes[i].Err = *s.Error
			continue
		}
		if steps[i].Result {
			outcomes[i].Columns, outcomes[i].Rows = ParseTSV(s.TSV, true)
		}
	}
	return res.Version, outcomes, nil
}

// ParseTSV splits ClickHouse TabSeparated output into rows of values (\N = NULL, escapes
// undone); with names the first line is the column names.
func ParseTSV(tsv string, names bool) ([]string, [][]*string) {
	var cols []string
	var rows [][]*string
	for i, line := range strings.Split(strings.TrimSuffix(tsv, "\n"), "\n") {
		if line == "" && i == 0 && !names {
			break
		}
		fields := strings.Split(line, "\t")
		row := make([]*string, len(fields))
		for j, f := range fields {
			if f == `\N` {
				continue
			}
			v := unescape(f)
			row[j] = &v
		}
		if names && i == 0 {
			for _, v := range row {
				cols = append(cols, *v)
			}
			continue
		}
		rows = append(rows, row)
	}
	return cols, rows
}

var unescaper = strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\r`, "\r", `\0`, "\x00", `\'`, "'", `\b`, "\b", `\f`, "\f")

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return unescaper.Replace(s)
}
