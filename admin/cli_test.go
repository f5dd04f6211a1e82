package admin

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func run(args []string, env map[string]string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return out.String(), errb.String(), code
}

func TestEveryCommandHasHelp(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands() {
		if seen[c.Name] {
			t.Errorf("command %s registered twice", c.Name)
		}
		seen[c.Name] = true
		if c.Desc == "" || c.Run == nil {
			t.Errorf("command %s has no description or no run", c.Name)
		}
		flags := map[string]bool{"h": true, "n": true}
		for _, o := range c.Options {
			if flags[o.Short] || o.Long == "" || o.Usage == "" {
				t.Errorf("%s: flag -%s is a duplicate or has no long name or usage", c.Name, o.Short)
			}
			flags[o.Short] = true
		}
		out, errOut, code := run([]string{c.Name, "-h"}, nil)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "usage: mqadmin "+c.Name+" ") {
			t.Errorf("%s -h: exit %d, %q %q", c.Name, code, out, errOut)
		}
	}
}

func TestParse(t *testing.T) {
	c := &Command{Name: "x", Options: []Option{
		{Short: "t", Long: "topic", Arg: true, Required: true, Usage: "u"},
		{Short: "m", Long: "more", Usage: "u"},
	}}
	x, err := parse(c, []string{"--topic=T1", "-m", "-n", "a:1"}, Env{})
	if err != nil || x.Str("t") != "T1" || !x.Has("m") || x.Str("n") != "a:1" {
		t.Fatalf("parse: %v %+v", err, x)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "missing required option(s): t"},
		{[]string{"-t"}, "missing argument for option: t"},
		{[]string{"-t", "a", "-m=yes"}, "option -m takes no value"},
		{[]string{"-t", "a", "-q"}, "unrecognized option: -q"},
		{[]string{"-t", "a", "stray"}, `unexpected argument "stray"`},
	} {
		if _, err := parse(c, tc.args, Env{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parse %q: %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := parse(c, []string{"-h"}, Env{}); err != errHelp {
		t.Errorf("-h: %v", err)
	}
}

func TestNameServerFromEnvironment(t *testing.T) {
	_, errOut, code := run([]string{"topicList"}, nil)
	if code != 1 || !strings.Contains(errOut, "export NAMESRV_ADDR=host:9876") {
		t.Errorf("no name server: %d %q", code, errOut)
	}
	_, errOut, code = run([]string{"topicList"}, map[string]string{"NAMESRV_ADDR": "127.0.0.1:1"})
	if code != 1 || !strings.Contains(errOut, "the name server at 127.0.0.1:1 cannot be reached") {
		t.Errorf("unreachable name server from NAMESRV_ADDR: %d %q", code, errOut)
	}
	_, errOut, code = run([]string{"topicList", "-n", "no-port"}, nil)
	if code != 1 || !strings.Contains(errOut, "-n host:9876") {
		t.Errorf("bad -n: %d %q", code, errOut)
	}
}

func TestVersionDesc(t *testing.T) {
	for v, want := range map[int32]string{232: "V4_1_0_SNAPSHOT", 317: "V4_5_2", 401: "V4_9_4", 409: "V4_9_8", 411: "V4_9_9", 413: "V5_0_0", 412: "V5_0_0_SNAPSHOT"} {
		if got := versionDesc(v); got != want {
			t.Errorf("versionDesc(%d) = %s, want %s", v, got, want)
		}
	}
}

func TestTopicChecksAndTimestamps(t *testing.T) {
	for _, ok := range []string{"a", "A-b_9"} {
		if err := checkTopicStrict(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "%RETRY%g", "a|b", strings.Repeat("a", 128)} {
		if err := checkTopicStrict(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := checkTopicRead("%RETRY%g"); err != nil {
		t.Errorf("read commands refuse retry topics: %v", err)
	}
	if ms, err := parseTimestamp("1700000000123"); err != nil || ms != 1700000000123 {
		t.Errorf("ms: %d %v", ms, err)
	}
	ms, err := parseTimestamp("2024-05-06#07:08:09:010")
	if want := time.Date(2024, 5, 6, 7, 8, 9, 10e6, time.Local).UnixMilli(); err != nil || ms != want {
		t.Errorf("date: %d %v, want %d", ms, err, want)
	}
	if _, err := parseTimestamp("yesterday"); err == nil {
		t.Error("a word parsed as a timestamp")
	}
}

func FuzzDecodeRunningInfo(f *testing.F) {
	f.Add([]byte(`{"jstack":"","mqTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"commitOffset":2,"droped":false}},"properties":{"consumerGroup":"g"},"statusTable":{},"subscriptionSet":[{"topic":"t","subString":"*"}]}`))
	f.Add([]byte(`{"mqTable":{"x":{}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ri, err := decodeRunningInfo(body)
		if err != nil {
			return
		}
		_ = ri.format()
		_ = sharedQueues(map[string]*runningInfo{"a": ri, "b": ri})
	})
}

func FuzzParseArgs(f *testing.F) {
	f.Add("updateTopic\x00-t\x00T\x00-c\x00C\x00--perm=6")
	f.Add("topicList\x00-c\x00-z")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		c := findCommand(args[0])
		if c == nil {
			return
		}
		x, err := parse(c, args[1:], Env{})
		if err == nil && x == nil {
			t.Fatal("no error and no parsed flags")
		}
	})
}

// mqadmin alone, -h, --help and help list the commands; upstream calls -h
// an unknown sub command.
func TestCommandListOnHelp(t *testing.T) {
	for _, args := range [][]string{nil, {"-h"}, {"--help"}, {"help"}} {
		out, errOut, code := run(args, nil)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "The most commonly used mqadmin commands are:\n") {
			t.Errorf("mqadmin %v: exit %d, %q %q", args, code, out, errOut)
		}
		for _, name := range []string{"statsAll", "exportMetrics", "cleanExpiredCQ", "startMonitoring", "updateBrokerConfig"} {
			if !strings.Contains(out, "   "+name+" ") {
				t.Errorf("mqadmin %v: %s not listed", args, name)
			}
		}
	}
	if _, errOut, code := run([]string{"-x"}, nil); code != 1 || !strings.Contains(errOut, "The sub command -x not exist.") {
		t.Errorf("mqadmin -x: exit %d, %q", code, errOut)
	}
}
