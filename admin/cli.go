package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// Command is one mqadmin sub command.
type Command struct {
	Name    string
	Desc    string // one line, shown in the command list
	Options []Option
	Run     func(ctx context.Context, x *Exec) error
}

// Option is one flag of a command, written -s value or --long value.
type Option struct {
	Short, Long, Usage string
	Arg                bool // takes a value
	Required           bool
}

// commonOptions are the flags every command has, as upstream's ServerUtil.
var commonOptions = []Option{
	{Short: "h", Long: "help", Usage: "Print help"},
	{Short: "n", Long: "namesrvAddr", Arg: true, Usage: "Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'"},
}

// Env is what a run of mqadmin sees of its process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// Main runs mqadmin with args (without the program name) and returns the
// exit status: 0 on success, 1 on a usage error or a failed command.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || (len(args) == 1 && slices.Contains([]string{"-h", "--help", "help"}, args[0])) {
		printCommandList(env.Stdout)
		return 0
	}
	if args[0] == "help" && len(args) == 2 {
		cmd := findCommand(args[1])
		if cmd == nil {
			fmt.Fprintf(env.Stderr, "The sub command %s not exist.\n", args[1])
			return 1
		}
		printUsage(env.Stdout, cmd)
		return 0
	}
	cmd := findCommand(args[0])
	if cmd == nil {
		fmt.Fprintf(env.Stderr, "The sub command %s not exist.\nRun mqadmin without arguments to list the commands.\n", args[0])
		return 1
	}
	x, err := parse(cmd, args[1:], env)
	if errors.Is(err, errHelp) {
		printUsage(env.Stdout, cmd)
		return 0
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "mqadmin %s: %v\n", cmd.Name, err)
		printUsage(env.Stderr, cmd)
		return 1
	}
	defer x.close()
	if err := cmd.Run(ctx, x); err != nil {
		fmt.Fprintf(env.Stderr, "mqadmin %s: %v\n", cmd.Name, err)
		if hint := x.hint(err); hint != "" {
			fmt.Fprintln(env.Stderr, hint)
		}
		return 1
	}
	return 0
}

func findCommand(name string) *Command {
	for _, c := range commands() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func printCommandList(w io.Writer) {
	fmt.Fprintf(w, "The most commonly used mqadmin commands are:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "   %-20s %s\n", c.Name, c.Desc)
	}
	fmt.Fprintf(w, "\nSee 'mqadmin help <command>' or 'mqadmin <command> -h' for more information on a specific command.\n")
}

func (c *Command) allOptions() []Option { return append(slices.Clone(commonOptions), c.Options...) }

// printUsage prints the command's synopsis and flags, as commons-cli's
// HelpFormatter lays them out.
func printUsage(w io.Writer, c *Command) {
	opts := c.allOptions()
	slices.SortStableFunc(opts, func(a, b Option) int { return strings.Compare(strings.ToLower(a.Short), strings.ToLower(b.Short)) })
	var syn []string
	for _, o := range opts {
		s := "-" + o.Short
		if o.Arg {
			s += " <arg>"
		}
		if !o.Required {
			s = "[" + s + "]"
		}
		syn = append(syn, s)
	}
	fmt.Fprintf(w, "usage: mqadmin %s %s\n", c.Name, strings.Join(syn, " "))
	width := 0
	left := make([]string, len(opts))
	for i, o := range opts {
		left[i] = " -" + o.Short + ",--" + o.Long
		if o.Arg {
			left[i] += " <arg>"
		}
		width = max(width, len(left[i]))
	}
	for i, o := range opts {
		fmt.Fprintf(w, "%-*s   %s\n", width, left[i], o.Usage)
	}
}

var errHelp = errors.New("help requested")

// parse reads the command's flags: -x value, --long value, --long=value;
// a flag without a value is a switch.
func parse(c *Command, args []string, env Env) (*Exec, error) {
	x := &Exec{Out: env.Stdout, Err: env.Stderr, getenv: env.Getenv, cmd: c, vals: map[string]string{}}
	opts := c.allOptions()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			return nil, fmt.Errorf("unexpected argument %q (flags are written -x value)", a)
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		idx := slices.IndexFunc(opts, func(o Option) bool { return o.Short == name || o.Long == name })
		if idx < 0 {
			return nil, fmt.Errorf("unrecognized option: %s", a)
		}
		o := opts[idx]
		if o.Short == "h" {
			return nil, errHelp
		}
		if o.Arg && !hasVal {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("missing argument for option: %s", o.Short)
			}
			i++
			val = args[i]
		} else if !o.Arg && hasVal {
			return nil, fmt.Errorf("option -%s takes no value", o.Short)
		}
		x.vals[o.Short] = strings.TrimSpace(val)
	}
	var missing []string
	for _, o := range opts {
		if _, ok := x.vals[o.Short]; o.Required && !ok {
			missing = append(missing, o.Short)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing required option(s): %s", strings.Join(missing, ", "))
	}
	return x, nil
}

// Exec is one run of a command: its parsed flags, its output and its
// connection to the cluster.
type Exec struct {
	Out, Err io.Writer
	getenv   func(string) string
	cmd      *Command
	vals     map[string]string
	admin    *client.Admin
	ns       []string
}

// Has says whether the flag was given.
func (x *Exec) Has(short string) bool { _, ok := x.vals[short]; return ok }

// Str returns the flag's value ("" when not given).
func (x *Exec) Str(short string) string { return x.vals[short] }

// Int returns the flag's value as an integer, def when not given.
func (x *Exec) Int(short string, def int64) (int64, error) {
	v, ok := x.vals[short]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("-%s %q is not a number", short, v)
	}
	return n, nil
}

// Bool returns the flag's value as a boolean, def when not given.
func (x *Exec) Bool(short string, def bool) (bool, error) {
	v, ok := x.vals[short]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("-%s %q is not true or false", short, v)
	}
	return b, nil
}

// errNoNameServer is the error of a command run with neither -n nor NAMESRV_ADDR.
var errNoNameServer = errors.New("no name server address: give it with -n host:9876 or export NAMESRV_ADDR=host:9876")

// Admin returns the connection to the cluster, made on first use from -n
// or NAMESRV_ADDR.
func (x *Exec) Admin() (*client.Admin, error) {
	if x.admin != nil {
		return x.admin, nil
	}
	addrs := x.Str("n")
	if addrs == "" && x.getenv != nil {
		addrs = x.getenv("NAMESRV_ADDR")
	}
	x.ns = client.SplitNameServers(addrs)
	if len(x.ns) == 0 {
		return nil, errNoNameServer
	}
	a, err := client.NewAdmin(client.ClientOptions{
		NameServers:  x.ns,
		InstanceName: "mqadmin",
		Logger:       x.logger(),
	})
	if err != nil {
		return nil, fmt.Errorf("%w (give name servers as -n host:9876 or export NAMESRV_ADDR=host:9876)", err)
	}
	x.admin = a
	return a, nil
}

// logger reports client errors on stderr; the rest is noise for a tool.
func (x *Exec) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(x.Err, &slog.HandlerOptions{Level: slog.LevelError}))
}

func (x *Exec) close() {
	if x.admin != nil {
		x.admin.Close()
	}
}

// hint explains an error that a wrong or missing address causes.
func (x *Exec) hint(err error) string {
	var op *net.OpError
	unreachable := errors.As(err, &op) || errors.Is(err, remoting.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
	if !unreachable {
		return ""
	}
	msg := err.Error()
	for _, ns := range x.ns {
		if strings.Contains(msg, ns) {
			return fmt.Sprintf("hint: the name server at %s cannot be reached; is it running? Point mqadmin at a running one with -n host:9876 or export NAMESRV_ADDR=host:9876", strings.Join(x.ns, ";"))
		}
	}
	if strings.Contains(msg, "no name server answered") {
		return "hint: no name server can be reached; point mqadmin at a running one with -n host:9876 or export NAMESRV_ADDR=host:9876"
	}
	return "hint: a broker cannot be reached; check the address given with -b or the brokers listed by clusterList"
}

// strictTopicName is what mqadmin accepts for topics it creates or changes.
var strictTopicName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// checkTopicStrict refuses a topic name outside ^[a-zA-Z0-9_-]+$ before
// anything is sent (topics mqadmin creates, changes or deletes).
func checkTopicStrict(topic string) error {
	if !strictTopicName.MatchString(topic) {
		return fmt.Errorf("topic name %q is not allowed: use only characters of ^[a-zA-Z0-9_-]+$", topic)
	}
	if len(topic) > protocol.TopicMaxLength {
		return fmt.Errorf("topic name %q is longer than %d characters", topic, protocol.TopicMaxLength)
	}
	return nil
}

// checkTopicRead refuses a topic name no broker could hold; read commands
// also accept the %RETRY% and %DLQ% topics.
func checkTopicRead(topic string) error {
	if why := protocol.ValidateTopicName(topic); why != "" {
		return fmt.Errorf("topic name %q: %s", topic, why)
	}
	return nil
}
