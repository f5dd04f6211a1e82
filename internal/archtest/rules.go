package archtest

// modulePath is the import path prefix of our own packages.
const modulePath = "github.com/rocketgo/rocketgo"

// rule says which of our packages a package may import, and whether it may
// import anything outside the standard library and the module.
type rule struct {
	// mayImport lists our packages (paths relative to the module root) this
	// package may import. "*" allows every package of ours.
	mayImport []string
	// thirdParty allows imports from outside the standard library.
	thirdParty bool
	// why is printed with a violation so the reader knows the intent.
	why string
}

// rules maps a package (path relative to the module root) to its rule.
// Commands under cmd/ and test-only helpers are matched by prefix in rulesFor.
var rules = map[string]rule{
	"remoting": {why: "remoting is the wire layer: stdlib only, imports nothing of ours"},
	"protocol": {why: "protocol holds wire-level types: stdlib only, imports nothing of ours"},
	"filter":   {why: "filter is a pure expression language: stdlib only"},

	"store":              {mayImport: []string{"protocol", "store/segment", "store/commitlog", "store/consumequeue", "store/indexfile", "store/jsonfile"}, why: "store is the storage facade: it never imports broker or the network"},
	"store/segment":      {why: "store/segment is a leaf: one mmap'd file and ordered lists of them"},
	"store/commitlog":    {mayImport: []string{"protocol", "store/segment"}, why: "store leaves take plain values"},
	"store/consumequeue": {mayImport: []string{"protocol", "store/segment"}, why: "store leaves take plain values"},
	"store/indexfile":    {mayImport: []string{"protocol", "store/segment"}, why: "store leaves take plain values"},
	"store/jsonfile":     {why: "store/jsonfile persists small JSON config files atomically; a leaf"},
	"store/storetest":    {mayImport: []string{"store", "protocol", "store/commitlog", "store/consumequeue", "store/indexfile", "store/segment"}, why: "storetest opens stores for tests and checks their invariants"},

	"ha": {mayImport: []string{"store", "protocol"}, why: "ha replicates the commit log; it knows the store, not the broker"},

	"namesrv": {mayImport: []string{"remoting", "protocol", "internal/config"}, why: "the name server is routing only; it never touches storage"},
	"broker":  {mayImport: []string{"remoting", "protocol", "store", "store/jsonfile", "ha", "filter", "internal/config"}, thirdParty: true, why: "the broker wires store and handlers together"},
	"client":  {mayImport: []string{"remoting", "protocol", "filter"}, why: "the client SDK never imports broker, store or namesrv"},
	"admin":   {mayImport: []string{"client", "protocol"}, thirdParty: true, why: "admin commands go through the client (golang.org/x/text decodes printMsg -c charsets)"},

	"examples/internal/cli":         {mayImport: []string{"client"}, why: "flag, signal and print helpers shared by the examples"},
	"examples/quickstart/producer":  {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/quickstart/consumer":  {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/async/producer":       {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/oneway/producer":      {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/ordered/producer":     {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/ordered/consumer":     {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/scheduled/producer":   {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/scheduled/consumer":   {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/batch/producer":       {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/filter/producer":      {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/filter/consumer":      {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/broadcast/consumer":   {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/transaction/producer": {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},
	"examples/pull/consumer":        {mayImport: []string{"client", "protocol", "examples/internal/cli"}, why: "examples use only the client, as a user's program would"},

	"dashboard": {mayImport: []string{"admin", "protocol"}, thirdParty: true, why: "the console goes through admin, so the CLI and the console share one facade"},

	"internal/config":      {thirdParty: true, why: "config parsing is a leaf"},
	"internal/archtest":    {mayImport: []string{"*"}, why: "the rule checker itself"},
	"internal/testcluster": {mayImport: []string{"*"}, thirdParty: true, why: "test helper: starts whole processes"},
	"internal/logfile":     {why: "log file setup is a leaf used by the mains"},
}

// forbiddenNames are package names that say nothing about what they own.
var forbiddenNames = map[string]bool{"util": true, "utils": true, "common": true, "helpers": true, "helper": true, "base": true, "misc": true}
