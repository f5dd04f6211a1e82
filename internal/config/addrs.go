package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// SplitAddrs splits a name server list such as "10.0.0.1:9876;10.0.0.2:9876"
// into addresses. Upstream separates with ';' only; a list written with ','
// is still split (the user clearly meant a list) and draws a warning, since
// upstream RocketMQ would read it as one broken address. Entries that are not
// host:port with a port in 1..65535 are left out with a warning each. Empty
// entries (a trailing ';') are skipped.
func SplitAddrs(s string) ([]string, []Warning) {
	addrs, warns, bad := splitAddrs(s)
	for _, b := range bad {
		warns = append(warns, Warning{Msg: b})
	}
	return addrs, warns
}

// splitAddrs is SplitAddrs with malformed entries kept apart, so Validate can
// make them errors and the loader only warns about separators.
func splitAddrs(s string) (addrs []string, warns []Warning, bad []string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil, nil
	}
	parts := strings.Split(s, ";")
	if strings.Contains(s, ",") {
		warns = append(warns, Warning{Msg: fmt.Sprintf(
			"name server list %q separates addresses with ','; use ';' (upstream RocketMQ reads a ',' list as one bad address)", s)})
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' })
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if err := checkHostPort(p); err != nil {
			bad = append(bad, fmt.Sprintf("name server address %q: %v", p, err))
			continue
		}
		addrs = append(addrs, p)
	}
	return addrs, warns, bad
}

// checkHostPort checks that addr is host:port with a port in 1..65535.
func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, e.g. 127.0.0.1:9876")
	}
	if host == "" {
		return fmt.Errorf("missing host (want host:port, e.g. 127.0.0.1:9876)")
	}
	if strings.ContainsAny(host, " \t/") {
		return fmt.Errorf("host %q is not a host name or IP address", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not in 1..65535", port)
	}
	return nil
}
