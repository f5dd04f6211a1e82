package logfile

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// EnvDir is the environment variable that overrides the log directory.
const EnvDir = "ROCKETMQ_LOG_DIR"

// Options tune Open. The zero value logs INFO and above to the default
// directory and stderr.
type Options struct {
	Dir    string       // log directory; empty: $ROCKETMQ_LOG_DIR, else ~/logs/rocketmqlogs
	Stderr io.Writer    // the console copy; nil: os.Stderr. io.Discard for none
	Level  slog.Leveler // minimum level; nil: slog.LevelInfo
}

// Open returns a logger that writes to <dir>/<name>.log and to stderr, and
// the closer of the file. name is "namesrv", "broker", "store"...; a ".log"
// suffix is accepted. Logging after Close still reaches stderr.
func Open(name string, opts Options) (*slog.Logger, io.Closer, error) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return nil, nil, fmt.Errorf("logfile: bad log name %q", name)
	}
	dir, err := Dir(opts.Dir)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("logfile: create log directory: %w", err)
	}
	path := filepath.Join(dir, strings.TrimSuffix(name, ".log")+".log")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("logfile: %w", err)
	}
	stderr := opts.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	level := opts.Level
	if level == nil {
		level = slog.LevelInfo
	}
	h := &handler{out: &output{writers: []io.Writer{f, stderr}}, level: level}
	return slog.New(h), f, nil
}

// Dir resolves the log directory: dir if set, else $ROCKETMQ_LOG_DIR, else
// ~/logs/rocketmqlogs.
func Dir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("logfile: no log directory: set %s or HOME: %w", EnvDir, err)
	}
	return filepath.Join(home, "logs", "rocketmqlogs"), nil
}

// output serialises whole lines to every writer. A failing writer (a full
// disk, a closed stderr) does not stop the others: logging never fails the
// process.
type output struct {
	mu      sync.Mutex
	writers []io.Writer
}

func (o *output) write(line []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, w := range o.writers {
		_, _ = w.Write(line) // see output: one failing writer must not stop the rest
	}
}

// handler formats records as one human-readable line each.
type handler struct {
	out    *output
	level  slog.Leveler
	attrs  string // pre-formatted attributes from WithAttrs
	groups string // "a.b." prefix from WithGroup
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	buf := make([]byte, 0, 256)
	if !r.Time.IsZero() {
		buf = r.Time.AppendFormat(buf, "2006-01-02 15:04:05.000")
		buf = append(buf, ' ')
	}
	buf = fmt.Appendf(buf, "%-5s %s", r.Level.String(), r.Message)
	buf = append(buf, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		buf = appendAttr(buf, h.groups, a)
		return true
	})
	buf = append(buf, '\n')
	h.out.write(buf)
	return nil
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	var buf []byte
	for _, a := range as {
		buf = appendAttr(buf, h.groups, a)
	}
	c.attrs += string(buf)
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.groups += name + "."
	return &c
}

// appendAttr appends " key=value", with groups as dotted key prefixes.
func appendAttr(buf []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return buf
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			buf = appendAttr(buf, prefix, g)
		}
		return buf
	}
	buf = append(buf, ' ')
	buf = append(buf, prefix...)
	buf = append(buf, a.Key...)
	buf = append(buf, '=')
	var s string
	switch a.Value.Kind() {
	case slog.KindTime:
		s = a.Value.Time().Format(time.RFC3339Nano)
	default:
		s = a.Value.String()
	}
	if needsQuote(s) {
		return strconv.AppendQuote(buf, s)
	}
	return append(buf, s...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r == ' ' || r == '=' || r == '"' || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}
