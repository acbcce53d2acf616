package replayer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/ferry-cdc/ferry/pkg/sink/mysqlsink"
)

// childEnv carries a JSON childSpec; when set, the test binary runs a replayer instead of tests
// (a real separate process that TestConsumerSurvivesSIGKILL can kill -9).
const childEnv = "FERRY_REPLAYER_TEST_CHILD"

type childSpec struct {
	Replayer Config
	MySQL    mysqlsink.Config
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// runChild runs one replayer until SIGTERM: exit 0 after a graceful stop, 3 after a halt.
func runChild(spec string) int {
	var cs childSpec
	if err := json.Unmarshal([]byte(spec), &cs); err != nil {
		fmt.Fprintln(os.Stderr, "child spec:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s, err := mysqlsink.Open(ctx, cs.MySQL, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer s.Close()
	r, err := New(cs.Replayer, s, "mysql", nil, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := r.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if errors.Is(err, ErrHalted) {
			return 3
		}
		return 1
	}
	return 0
}
