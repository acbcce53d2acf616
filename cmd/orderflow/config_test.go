package main

import (
	"testing"

	"github.com/ferry-cdc/ferry/internal/cli/clitest"
)

// TestEveryFlagRoundTrips checks that every flag of every subcommand works as a --config YAML key
// and as a FERRY_ORDERFLOW_<KEY> environment variable, with the same result as on the command line.
func TestEveryFlagRoundTrips(t *testing.T) {
	clitest.RoundTrip(t, newRootCmd, app.EnvPrefix)
}
