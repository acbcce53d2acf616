package mq

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// logBridge implements rlog.Logger on top of a swappable *slog.Logger.
//
// Invariant: rlog's package-level logger is replaced exactly once (by the
// first SetLogger call); later calls only swap the atomic pointers. rlog.SetLogger
// writes a plain global, so calling it again while client goroutines log would
// be a data race.
type logBridge struct {
	logger atomic.Pointer[slog.Logger]
	floor  atomic.Int64 // minimum slog.Level passed on
}

var (
	bridge      = newLogBridge()
	installRLog sync.Once
)

func newLogBridge() *logBridge {
	b := &logBridge{}
	b.logger.Store(slog.New(slog.DiscardHandler))
	b.floor.Store(int64(slog.LevelWarn))
	return b
}

var _ rlog.Logger = (*logBridge)(nil)

// SetLogger routes rocketmq-client-go's log output (logrus on stderr by
// default) to l, tagged with component=rocketmq-client. Only records at or
// above SetLogLevel's level (default slog.LevelWarn: the client logs every
// rebalance and heartbeat at info) are passed on. Safe to call at any time and
// from several goroutines; a nil l discards the client's logs.
func SetLogger(l *slog.Logger) {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	bridge.logger.Store(l.With("component", "rocketmq-client"))
	installRLog.Do(func() { rlog.SetLogger(bridge) })
}

// SetLogLevel sets the lowest level of rocketmq-client-go records that
// SetLogger's logger receives.
func SetLogLevel(level slog.Level) {
	bridge.floor.Store(int64(level))
}

func (b *logBridge) log(level slog.Level, msg string, fields map[string]interface{}) {
	if level < slog.Level(b.floor.Load()) {
		return
	}
	l := b.logger.Load()
	ctx := context.Background()
	if !l.Enabled(ctx, level) {
		return
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		attrs = append(attrs, fieldAttr(k, fields[k]))
	}
	l.LogAttrs(ctx, level, msg, attrs...)
}

// fieldAttr turns one logrus field into an attribute; errors become strings
// so that handlers print their message. A typed nil pointer (the client logs a
// nil *RemotingCommand response when a request times out) is "<nil>": calling
// its String method would panic.
func fieldAttr(k string, v interface{}) slog.Attr {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return slog.String(k, "<nil>")
	}
	if err, ok := v.(error); ok {
		return slog.String(k, err.Error())
	}
	if s, ok := v.(fmt.Stringer); ok {
		return slog.String(k, s.String())
	}
	return slog.Any(k, v)
}

// Debug implements rlog.Logger.
func (b *logBridge) Debug(msg string, fields map[string]interface{}) {
	b.log(slog.LevelDebug, msg, fields)
}

// Info implements rlog.Logger.
func (b *logBridge) Info(msg string, fields map[string]interface{}) {
	b.log(slog.LevelInfo, msg, fields)
}

// Warning implements rlog.Logger.
func (b *logBridge) Warning(msg string, fields map[string]interface{}) {
	b.log(slog.LevelWarn, msg, fields)
}

// Error implements rlog.Logger.
func (b *logBridge) Error(msg string, fields map[string]interface{}) {
	b.log(slog.LevelError, msg, fields)
}

// Fatal implements rlog.Logger. Unlike logrus it does not exit the process: a
// library must not kill its host; the record is logged at error level.
func (b *logBridge) Fatal(msg string, fields map[string]interface{}) {
	b.log(slog.LevelError, msg, fields)
}

// Level implements rlog.Logger (rlog.SetLogLevel): it maps logrus level names
// onto SetLogLevel.
func (b *logBridge) Level(level string) {
	switch level {
	case "debug":
		SetLogLevel(slog.LevelDebug)
	case "info":
		SetLogLevel(slog.LevelInfo)
	case "warn", "warning":
		SetLogLevel(slog.LevelWarn)
	case "error", "fatal":
		SetLogLevel(slog.LevelError)
	}
}

// OutputPath implements rlog.Logger; output goes where the slog handler writes.
func (b *logBridge) OutputPath(string) error { return nil }
