package interop

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// offsetDirEnv is where rocketmq-client-go keeps broadcasting consumers'
// local offsets. The client reads it once at package init (default
// $HOME/.rocketmq_client_go), so offsets of an earlier run would make a new
// run's broadcasting consumer start past the end of a fresh broker's queue.
const offsetDirEnv = "rocketmq.client.localOffsetStoreDir"

// TestMain re-executes the test binary with offsetDirEnv pointing at a fresh
// temporary directory, removed afterwards, so every run starts clean and
// nothing is written under the user's home.
func TestMain(m *testing.M) {
	if os.Getenv(offsetDirEnv) != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "rocketgo-interop-offsets-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(os.Environ(), offsetDirEnv+"="+dir)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	os.RemoveAll(dir)
	var exit *exec.ExitError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	default:
		fmt.Fprintln(os.Stderr, "re-run tests with a private offset directory:", err)
		os.Exit(1)
	}
}
