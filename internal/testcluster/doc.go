// Package testcluster starts RocketGo processes for tests: it builds the
// module's commands into the test's temporary directory, picks free
// 127.0.0.1 ports, writes a properties file, starts the process with its
// logs and store under t.TempDir(), waits for the boot line with a deadline
// (never a sleep), and stops the process when the test ends.
//
// The interop module (a separate Go module under interop/) uses it too: its
// module path lies under this module's, so Go's internal-package rule lets it.
package testcluster
