package verify

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// This file holds what every scheme that signs a time shares: how the time
// is written (stampUnit), how it is read, and the one replay-window check
// (checkWindow).

// stampUnit is how a provider writes the time it signs.
type stampUnit int

const (
	stampSeconds          stampUnit = iota // unix seconds, decimal digits
	stampMillis                            // unix milliseconds, decimal digits
	stampRFC3339                           // RFC 3339, fractional seconds allowed
	stampSecondsOrRFC3339                  // either of the above (hmac-template)
	stampOpaque                            // signed as sent, format not documented: no window
)

// String names the unit in messages: "seconds", "milliseconds", ...
func (u stampUnit) String() string {
	switch u {
	case stampMillis:
		return "milliseconds"
	case stampRFC3339:
		return "RFC 3339"
	case stampSecondsOrRFC3339:
		return "unix seconds or RFC 3339"
	case stampOpaque:
		return "opaque"
	}
	return "seconds"
}

// parse reads a time written in the unit. An opaque time does not parse.
func (u stampUnit) parse(raw string) (time.Time, bool) {
	switch u {
	case stampSeconds, stampMillis:
		n, ok := parseUnix(raw)
		return u.time(n), ok
	case stampSecondsOrRFC3339:
		if n, ok := parseUnix(raw); ok {
			return time.Unix(n, 0), true
		}
	case stampOpaque:
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	return t, err == nil
}

// read parses raw, the time as sent in header or field name (in is
// "header" or "body field"), and returns an error wrapping ErrMalformed
// that names it when it does not parse.
func (u stampUnit) read(in, name, raw string) (time.Time, error) {
	t, ok := u.parse(raw)
	if ok {
		return t, nil
	}
	switch u {
	case stampSeconds, stampMillis:
		return t, fmt.Errorf("%s %s: %q is not unix %s: %w", in, name, truncate(raw), u, ErrMalformed)
	case stampSecondsOrRFC3339:
		return t, fmt.Errorf("%s %s: %q is neither unix seconds nor RFC 3339: %w", in, name, truncate(raw), ErrMalformed)
	}
	return t, fmt.Errorf("%s %s: %q is not %s: %w", in, name, truncate(raw), u, ErrMalformed)
}

// time converts a parsed number of seconds or milliseconds to a time.
func (u stampUnit) time(n int64) time.Time {
	if u == stampMillis {
		return time.UnixMilli(n)
	}
	return time.Unix(n, 0)
}

// format writes now as the provider would. An opaque or RFC 3339 time is
// written as RFC 3339 in UTC, without fractional seconds.
func (u stampUnit) format(now time.Time) string {
	switch u {
	case stampMillis:
		return strconv.FormatInt(now.UnixMilli(), 10)
	case stampSeconds:
		return strconv.FormatInt(now.Unix(), 10)
	}
	return now.UTC().Format(time.RFC3339)
}

// parseUnix parses a timestamp written as decimal digits only: no sign, no
// fraction, no spaces, and no more than fits in an int64. It does not
// allocate.
func parseUnix[T ~string | ~[]byte](s T) (int64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// checkWindow is the replay window of every scheme that signs a time: it
// returns an error wrapping ErrTooOld or ErrTooNew when the signed time at
// is more than tol away from now, in either direction. Schemes call it once
// the signature has matched, so that ErrTooOld and ErrTooNew mean a genuine
// but replayed or mistimed request.
//
// The message reads "{in} {name}: {raw} is 5m1s old, tolerance 5m0s": in
// and name say where the time was read ("header" and
// "X-Slack-Request-Timestamp", "body field" and "signature.timestamp"), and
// raw is the time as sent, with its key where the header holds other values
// ("t=1700000000"). raw may be bytes of the body, so that reading it costs
// no allocation.
func checkWindow[T ~string | ~[]byte](in, name string, raw T, at, now time.Time, tol time.Duration) error {
	if d := now.Sub(at); d > tol { // Sub saturates instead of overflowing
		return fmt.Errorf("%s %s: %s is %s old, tolerance %s: %w", in, name, truncate(string(raw)), d, tol, ErrTooOld)
	}
	if d := at.Sub(now); d > tol {
		return fmt.Errorf("%s %s: %s is %s in the future, tolerance %s: %w", in, name, truncate(string(raw)), d, tol, ErrTooNew)
	}
	return nil
}
