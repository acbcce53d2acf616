package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	nameSeq atomic.Uint64
	// runID distinguishes test processes: pid plus start time, base 36.
	runID = strconv.FormatInt(int64(os.Getpid()), 36) + strconv.FormatInt(time.Now().UnixNano()%(36*36*36*36), 36)
)

// maxNameLen keeps names valid as MariaDB database names (64), RocketMQ
// topics and consumer groups (127) and ClickHouse databases.
const maxNameLen = 60

// UniqueName returns a name unique across test processes and calls, made of
// lower-case letters, digits and underscores: the sanitized prefix (cut to
// leave room), the process's run id and a sequence number, for example
// "orders_1kz3f9a_7".
func UniqueName(prefix string) string {
	suffix := fmt.Sprintf("_%s_%d", runID, nameSeq.Add(1))
	p := sanitize(prefix)
	if p == "" {
		p = "t"
	}
	if max := maxNameLen - len(suffix); len(p) > max {
		p = p[:max]
	}
	return p + suffix
}

// sanitize lower-cases s and replaces every character outside [a-z0-9_] with
// an underscore.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

var (
	rootOnce sync.Once
	rootDir  string
)

// RepoRoot returns the directory holding go.mod, found by walking up from
// the working directory (a test runs in its package's directory). It returns
// the working directory if no go.mod is found.
func RepoRoot() string {
	rootOnce.Do(func() {
		wd, err := os.Getwd()
		if err != nil {
			wd = "."
		}
		rootDir = wd
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				rootDir = d
				return
			}
			if filepath.Dir(d) == d {
				return
			}
		}
	})
	return rootDir
}
