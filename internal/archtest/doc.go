// Package archtest holds one test that keeps the module's shape: it reads the
// imports of every package in the module and fails, naming the broken rule,
// when a package imports what ../shared/ARCHITECTURE.md says it must not.
//
// The rules live in rules.go as data. A new package must be added there
// before the test passes, so every new dependency edge is a deliberate choice.
package archtest
