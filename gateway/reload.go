package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/hookgate/hookgate/config"
)

// ErrNoReload means the server was not told where its config comes from.
var ErrNoReload = errors.New("gateway: reload is not available (no config source)")

// Reload swaps every provider (secrets, types, options, paths, identify,
// ordering, limits) for those of cfg, which must be validated, in one
// atomic step: requests already in progress finish with the provider they
// started with. It also reads the public listener's certificate
// (http.tls) and the admin token check (admin.auth, its keys and JWKS
// file) again. If any of it cannot be built, nothing changes. The
// settings that only a restart applies (listeners, storage, NATS, HTTP,
// admin, archive) are left as they are and named in the result, also
// when only a file they name changed (a NATS credential, the signing
// key, a delivery's verify key). Reloads run one at a time.
func (s *Server) Reload(cfg *config.Config) (needsRestart []string, err error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	providers, err := buildProviders(cfg, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	if limit := s.maxPayload(); limit > 0 {
		if err := checkMaxBody(providers, limit); err != nil {
			return nil, err
		}
	}
	if err := s.checkSubjects(providers, cfg.Routes); err != nil {
		return nil, err
	}
	rs, err := newRules(cfg.Routes)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	table := newRouteTable(providers)
	cur := s.cfg
	var cert *tls.Certificate
	if t := cfg.HTTP.TLS; t.CertFile != "" && s.cert.Load() != nil {
		c, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: http.tls: %w", config.ErrInvalid, err)
		}
		cert = &c
	}
	auth, err := newAdminCheck(cfg.Admin.Auth)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	if s.streamDec != nil {
		// The stream must keep claims for the new TTLs too. Checked last
		// of all: the TTL it allows is the one Ping checks from now on.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.streamDec.Allow(ctx, longestTTL(table))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%w: storage.backend jetstream: %w", config.ErrInvalid, err)
		}
	}
	old := s.table.Load()
	for _, p := range providers {
		// Keep a rate limiter's state across reloads that leave it as it was.
		if o := old.byName[p.name]; o != nil && o.rateLimit == p.rateLimit {
			p.edge.limiter = o.edge.limiter
		}
	}
	s.table.Store(table)
	s.rules.Store(rs.countIn(s.metrics.routeMatches))
	trusted, _ := parsePrefixes(cfg.HTTP.TrustedProxies) // valid: buildProviders read them
	s.conns.setTrusted(trusted)
	if cert != nil {
		s.cert.Store(cert)
	}
	if s.adminCheck.Load() != nil { // (nil: no admin listener)
		s.adminCheck.Store(auth)
	}
	// The trusted proxies are read into each provider's edge checks, so
	// they took effect with the providers above (and in the connection
	// cap's exemption just after them); the certificate and the
	// admin token check were swapped just now, as long as the listener
	// serves TLS before and after.
	curHTTP, newHTTP := cur.HTTP, cfg.HTTP
	curHTTP.TrustedProxies, newHTTP.TrustedProxies = nil, nil
	if (curHTTP.TLS.CertFile == "") == (newHTTP.TLS.CertFile == "") {
		curHTTP.TLS, newHTTP.TLS = config.TLS{}, config.TLS{}
	}
	curAdmin, newAdmin := cur.Admin, cfg.Admin
	curAdmin.Auth, newAdmin.Auth = nil, nil
	changedFiles := fileDigests(cfg)
	for _, f := range []struct {
		name     string
		old, new any
	}{
		{"listen", cur.Listen, cfg.Listen},
		{"data_dir", cur.DataDir, cfg.DataDir},
		{"storage", cur.Storage, cfg.Storage},
		{"nats", cur.NATS, cfg.NATS},
		{"http", curHTTP, newHTTP},
		{"admin", curAdmin, newAdmin},
		{"archive", cur.Archive, cfg.Archive},
		{"quarantine", cur.Quarantine, cfg.Quarantine},
		{"deliveries", cur.Deliveries, cfg.Deliveries},
	} {
		if !reflect.DeepEqual(f.old, f.new) || s.restartFiles[f.name] != changedFiles[f.name] {
			needsRestart = append(needsRestart, f.name)
		}
	}
	s.log.Info("config reloaded", "providers", len(providers), "needs_restart", needsRestart)
	return needsRestart, nil
}

// fileDigests returns, by config section, a digest of the contents of the
// files its restart-only settings name (credentials, keys): a reload that
// finds one changed names the section, as it does for a changed setting.
// A file that cannot be read counts by its error.
func fileDigests(cfg *config.Config) map[string]string {
	// (nats.go reads creds_file and the tls files again at each connect:
	// a change to them needs no restart, and is not named.)
	n := &cfg.NATS
	files := map[string][]string{
		"nats": {n.NKeyFile, n.Sign.KeyFile},
	}
	for _, d := range cfg.Deliveries {
		files["deliveries"] = append(files["deliveries"], d.VerifyKeys...)
	}
	out := map[string]string{}
	for section, paths := range files {
		h := sha256.New()
		for _, p := range paths {
			if p == "" {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				b = []byte("error: " + err.Error())
			}
			fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
			h.Write(b)
		}
		out[section] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// ReloadFromSource loads the config again through Options.LoadConfig (which
// reads secret files again) and reloads it. A config that does not load,
// validate or build is rejected, logged with the reason, and the running
// one stays.
func (s *Server) ReloadFromSource() ([]string, error) {
	if s.load == nil {
		return nil, ErrNoReload
	}
	cfg, err := s.load()
	if err == nil {
		var restart []string
		if restart, err = s.Reload(cfg); err == nil {
			return restart, nil
		}
	}
	s.log.Warn("config reload rejected; the running config stays", "err", err)
	return nil, err
}

func (s *Server) adminReload(c echo.Context) error {
	restart, err := s.ReloadFromSource()
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, ErrNoReload) {
			status = http.StatusNotImplemented
		}
		return c.JSON(status, map[string]string{"status": "rejected", "error": err.Error(), "running_config": "unchanged"})
	}
	if restart == nil {
		restart = []string{} // a list, as documented, not null
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "reloaded", "needs_restart": restart})
}
