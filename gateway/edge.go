package gateway

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/hookgate/hookgate/config"
)

// Edge errors: checks made before a body is read.
var (
	// ErrForbidden means the client address is not in the provider's allowlist.
	ErrForbidden = errors.New("gateway: client address not allowed")
	// ErrRateLimited means the provider's rate limit is exhausted.
	ErrRateLimited = errors.New("gateway: rate limited")
	// ErrBusy means the gateway, the provider or the client address is at
	// its limit of requests in flight.
	ErrBusy = errors.New("gateway: too many requests in flight")
)

// retryError carries how long the client should wait.
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string { return fmt.Sprintf("%v (retry in %s)", e.err, e.after) }
func (e *retryError) Unwrap() error { return e.err }

// retryAfterFor is the Retry-After value for an error, in whole seconds.
func retryAfterFor(err error) string {
	var re *retryError
	if errors.As(err, &re) {
		return strconv.Itoa(max(1, int(math.Ceil(re.after.Seconds()))))
	}
	return retryAfter
}

// prefixes is a set of CIDR prefixes.
type prefixes []netip.Prefix

// parsePrefixes parses addresses and CIDR prefixes (config.ParsePrefixes).
func parsePrefixes(list []string) (prefixes, error) {
	ps, err := config.ParsePrefixes(list)
	return prefixes(ps), err
}

func (ps prefixes) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the address of the client that sent req. X-Forwarded-For
// is believed only when the peer is a trusted proxy; then the client is the
// right-most address in it that is not itself a trusted proxy.
func clientAddr(req *http.Request, trusted prefixes) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(req.RemoteAddr)
	if err != nil {
		host, _, err2 := net.SplitHostPort(req.RemoteAddr)
		a, err3 := netip.ParseAddr(host)
		if err2 != nil || err3 != nil {
			return netip.Addr{}, false
		}
		ap = netip.AddrPortFrom(a, 0)
	}
	client := ap.Addr().Unmap()
	if !trusted.contains(client) {
		return client, true
	}
	hops := req.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return client, true // a garbled hop: trust nothing further left
			}
			client = a.Unmap()
			if !trusted.contains(client) {
				return client, true
			}
		}
	}
	return client, true
}

// edge holds one provider's checks made before the body is read.
type edge struct {
	allow   prefixes      // empty: any address
	trusted prefixes      // proxies whose X-Forwarded-For is believed
	limiter *rate.Limiter // nil: unlimited
}

func newEdge(pc *config.Provider, trusted prefixes) (*edge, error) {
	e := &edge{trusted: trusted}
	if len(pc.Allow) > 0 {
		a, err := parsePrefixes(pc.Allow)
		if err != nil {
			return nil, err
		}
		e.allow = a
	}
	if rl := pc.RateLimit; rl.RPS > 0 {
		burst := rl.Burst
		if burst <= 0 {
			burst = max(1, int(math.Ceil(rl.RPS)))
		}
		e.limiter = rate.NewLimiter(rate.Limit(rl.RPS), burst)
	}
	return e, nil
}

// allowed returns the client address of req, or ErrForbidden when the
// provider's allowlist does not hold it. It runs before the body is read.
func (e *edge) allowed(req *http.Request) (netip.Addr, error) {
	if e == nil {
		client, _ := clientAddr(req, nil)
		return client, nil
	}
	client, ok := clientAddr(req, e.trusted)
	if len(e.allow) > 0 && (!ok || !e.allow.contains(client)) {
		return client, fmt.Errorf("%w: %s", ErrForbidden, client)
	}
	return client, nil
}

// spend takes one token of the provider's rate limit, or returns
// ErrRateLimited with the wait. It runs after the signature is verified:
// requests that fail verification never spend the provider's budget, so a
// stranger cannot exhaust it.
func (e *edge) spend(now time.Time) error {
	if e == nil || e.limiter == nil {
		return nil
	}
	r := e.limiter.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 || !r.OK() {
		r.CancelAt(now)
		return &retryError{err: ErrRateLimited, after: d}
	}
	return nil
}

// clientKey is what a client's shares are counted by: an IPv4 address
// (an IPv4-mapped IPv6 one as IPv4), or an IPv6 address's /64, which one
// host or site usually holds whole: counted by address, it would take
// as many shares as it has addresses.
func clientKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64) // cannot fail: 64 bits of 128; the zone is dropped
		return p.Addr()
	}
	return a
}

// clientName names a client key in messages: an IPv6 one as its /64.
func clientName(k netip.Addr) string {
	if k.Is6() {
		return k.String() + "/64"
	}
	return k.String()
}

// admission hands out the work slots of the gateway: at most total
// requests are verified and decided at once, of which at most perProvider
// for one provider and perClient for one client address (an IPv6 client
// by its /64: clientKey). A request takes
// its slot once its body has arrived (a slow body holds a connection, not a
// slot), so neither one provider's flood nor one address's can take every
// slot from the others. It is safe for concurrent use.
type admission struct {
	total, perProvider, perClient int

	mu       sync.Mutex
	inFlight int
	provider map[string]int
	client   map[netip.Addr]int
}

func newAdmission(total, perProvider, perClient int) *admission {
	return &admission{total: total, perProvider: perProvider, perClient: perClient,
		provider: map[string]int{}, client: map[netip.Addr]int{}}
}

// acquire takes a slot for a request of provider from client, or returns
// an error wrapping ErrBusy that says which limit is reached. release must
// be called exactly once after a nil error.
func (a *admission) acquire(provider string, client netip.Addr) error {
	client = clientKey(client)
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.inFlight >= a.total:
		return fmt.Errorf("%w: the gateway handles %d requests (http.max_in_flight)", ErrBusy, a.total)
	case a.provider[provider] >= a.perProvider:
		return fmt.Errorf("%w: provider %s has %d requests in flight (http.max_in_flight_per_provider)", ErrBusy, provider, a.perProvider)
	case a.client[client] >= a.perClient:
		return fmt.Errorf("%w: client %s has %d requests in flight (http.max_in_flight_per_client)", ErrBusy, clientName(client), a.perClient)
	}
	a.inFlight++
	a.provider[provider]++
	a.client[client]++
	return nil
}

// release gives back the slot of a request that acquire admitted.
func (a *admission) release(provider string, client netip.Addr) {
	client = clientKey(client)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inFlight--
	if a.provider[provider]--; a.provider[provider] <= 0 {
		delete(a.provider, provider)
	}
	if a.client[client]--; a.client[client] <= 0 {
		delete(a.client, client) // the map holds only addresses in flight
	}
}

// busy returns the number of requests in flight.
func (a *admission) busy() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.inFlight
}
