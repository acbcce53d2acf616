package canal

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	gomysql "github.com/go-sql-driver/mysql"
)

// Operator-facing errors; each message names the problem and the fix.
var (
	// ErrPurged: the start position or GTID set is gone from the source's binlog (ERROR 1236).
	ErrPurged = errors.New("binlog start point not available on the source")
	// ErrAccess: wrong credentials (ERROR 1045).
	ErrAccess = errors.New("source refused the replication user's credentials")
	// ErrPrivileges: missing privileges (ERROR 1227 / 1142 / 1044).
	ErrPrivileges = errors.New("replication user lacks privileges")
	// ErrServerID: another replica uses the same server id (ERROR 4052 / 1236 "same server_id").
	ErrServerID = errors.New("server-id already used by another replica")
)

var errCodeRE = regexp.MustCompile(`ERROR (\d{4})`)

// mysqlCode extracts a MySQL error code from err (0 if none).
func mysqlCode(err error) uint16 {
	var me *mysql.MyError
	if errors.As(err, &me) {
		return me.Code
	}
	var de *gomysql.MySQLError // database/sql driver (SHOW ... queries)
	if errors.As(err, &de) {
		return de.Number
	}
	if m := errCodeRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return uint16(n)
	}
	return 0
}

// classify turns a source error into an operator-facing one; fatal errors stop the tailer,
// others are retried with backoff.
func classify(err error, cfg *Config, at string) (fatal bool, out error) {
	var me *mysql.MyError
	msg := err.Error()
	if errors.As(err, &me) {
		msg = me.Message
	}
	code := mysqlCode(err)
	switch code {
	case 1236:
		if regexp.MustCompile(`(?i)same server.?(id|uuid)`).MatchString(msg) {
			return true, serverIDError(cfg, msg)
		}
		return true, fmt.Errorf("%w (ERROR 1236 at %s; source said: %s). The binlog was purged or the position is invalid: "+
			"run `binlog-tailer resync --from-gtid <set> | --from-file F --from-pos P | --from-time T --epoch <current+1>` "+
			"and backfill every table (docs/tailer.md, section Resync)", ErrPurged, at, msg)
	case 1045:
		return true, fmt.Errorf("%w: user %q at %s (ERROR 1045; source said: %s). Fix the config keys user/password "+
			"(env FERRY_TAILER_USER / FERRY_TAILER_PASSWORD)", ErrAccess, cfg.User, cfg.SourceAddr, msg)
	case 1227, 1142, 1044:
		return true, privilegesError(cfg, code, msg)
	case 4052:
		return true, serverIDError(cfg, msg)
	}
	for _, fatal := range []error{ErrNoRowMetadata, ErrRowImage, ErrSchemaMismatch, ErrNoPrimaryKey, ErrConfig, ErrVersionsBackwards,
		ErrSourceSettings} {
		if errors.Is(err, fatal) {
			return true, err
		}
	}
	return false, err
}

func privilegesError(cfg *Config, code uint16, msg string) error {
	return fmt.Errorf("%w: user %q at %s (ERROR %d; source said: %s). Run on the source: "+
		"GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO '%s'@'<host>' "+
		"(MariaDB >= 10.5: also BINLOG MONITOR)", ErrPrivileges, cfg.User, cfg.SourceAddr, code, msg, cfg.User)
}

// canLogin reports whether a plain SQL login with the tailer's credentials works: MariaDB answers
// a binlog registration without REPLICATION SLAVE with ERROR 1045 as if the password were wrong.
func canLogin(ctx context.Context, cfg *Config) bool {
	db, err := OpenSource(cfg)
	if err != nil {
		return false
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return db.PingContext(pctx) == nil
}

func serverIDError(cfg *Config, msg string) error {
	return fmt.Errorf("%w: server-id %d (source said: %s). Choose a server-id that no other replica or tailer "+
		"of this source uses (config key server-id, env FERRY_TAILER_SERVER_ID)", ErrServerID, cfg.ServerID, msg)
}
