package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// listener is an address something listens on, for the check that no two
// of them take the same port.
func checkSource(src string) error {
	if name, ok := strings.CutPrefix(src, "header:"); ok && strings.TrimSpace(name) == "" {
		return fmt.Errorf("%q names no header", src)
	}
	return nil
}

type listener struct {
	field, addr, host string
	port              int
}

// splitListen splits a listen address into its host and port, which must be
// a number from 0 to 65535 or a service name.
func splitListen(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := net.LookupPort("tcp", p)
	if err != nil {
		return "", 0, err
	}
	return host, port, nil
}

// hostsOverlap reports whether listeners on hosts a and b with the same port
// collide: the same host, or one of them on every interface. Two different
// IP addresses, or a host name and an address, are taken not to collide.
func hostsOverlap(a, b string) bool {
	loopback := func(h string) bool {
		ip := net.ParseIP(h)
		return strings.EqualFold(h, "localhost") || ip != nil && ip.IsLoopback()
	}
	everywhere := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "" || ip != nil && ip.IsUnspecified()
	}
	switch {
	case everywhere(a) || everywhere(b), strings.EqualFold(a, b):
		return true
	case loopback(a) && loopback(b):
		// localhost and 127.0.0.1 are the same; 127.0.0.1 and 127.0.0.2,
		// or 127.0.0.1 and ::1, are not.
		return strings.EqualFold(a, "localhost") || strings.EqualFold(b, "localhost")
	}
	return false
}

// ParsePrefixes parses addresses and CIDR prefixes (an address is a prefix
// of its full length), as allow lists and trusted proxies are written.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR prefix", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR prefix", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
