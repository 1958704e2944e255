package gateway

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/verify"
	"github.com/hookgate/hookgate/webhook"
)

// Why an admin token whose signature verified is refused.
var (
	errNoExpiry      = errors.New("admin token has no exp claim")
	errTokenTime     = errors.New("admin token is not valid at this time")
	errTokenLifetime = errors.New("admin token lives longer than admin.auth.max_lifetime")
)

// adminCheck is how admin tokens are checked: built from admin.auth at
// the start and again by each reload (keys, a JWKS file, bounds).
type adminCheck struct {
	v                   verify.Verifier // nil: admin.auth is not configured
	maxLifetime, leeway time.Duration
}

// newAdminCheck builds the token check of a, which may be nil (none).
func newAdminCheck(a *config.AdminAuth) (*adminCheck, error) {
	if !a.Enabled() {
		return &adminCheck{}, nil
	}
	v, err := a.Verifier()
	if err != nil {
		return nil, fmt.Errorf("admin.auth: %w", err)
	}
	return &adminCheck{v: v, maxLifetime: a.Lifetime(), leeway: a.Skew()}, nil
}

// requireAdmin checks the bearer token of every admin API request.
func (s *Server) requireAdmin() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			auth := s.adminCheck.Load()
			if auth == nil || auth.v == nil {
				return c.JSON(http.StatusUnauthorized, map[string]string{"error": "admin API disabled: configure admin.auth"})
			}
			req := c.Request()
			now := s.now()
			_, err := auth.v.Verify(&verify.Request{Method: req.Method, URL: req.URL.String(), Header: req.Header}, now)
			if err == nil {
				err = checkAdminClaims(req.Header.Get("Authorization"), now, auth.maxLifetime, auth.leeway)
			}
			if err != nil {
				s.log.Warn("admin request refused", "path", req.URL.Path, "err", err)
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="hookgate-admin"`)
				return c.JSON(http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
			}
			return next(c)
		}
	}
}

// checkAdminClaims applies the time bounds of admin tokens to a token whose
// signature was already verified: exp is required and, with leeway for
// clock skew, exp is not past, nbf and iat are not in the future; and the
// token lives at most maxLifetime: exp - iat, or exp - now (with the
// leeway) for a token without iat.
func checkAdminClaims(authorization string, now time.Time, maxLifetime, leeway time.Duration) error {
	tok := strings.TrimSpace(authorization)
	// The scheme is case-insensitive (RFC 7235, section 2.1), as for the
	// signature check in package verify.
	if len(tok) >= 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimLeft(tok[7:], " ")
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		return err
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return errNoExpiry
	}
	nbf, err1 := claims.GetNotBefore()
	iat, err2 := claims.GetIssuedAt()
	stamp := func(t *jwt.NumericDate) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case err1 != nil || err2 != nil:
		return fmt.Errorf("%w: nbf or iat is not a number", errTokenTime)
	case now.After(exp.Add(leeway)):
		return fmt.Errorf("%w: expired at %s (leeway %s)", errTokenTime, stamp(exp), leeway)
	case nbf != nil && nbf.After(now.Add(leeway)):
		return fmt.Errorf("%w: not before %s (leeway %s)", errTokenTime, stamp(nbf), leeway)
	case iat != nil && iat.After(now.Add(leeway)):
		return fmt.Errorf("%w: issued in the future, at %s (leeway %s)", errTokenTime, stamp(iat), leeway)
	case iat != nil && exp.Sub(iat.Time) > maxLifetime:
		return fmt.Errorf("%w: exp - iat is %s, more than %s", errTokenLifetime, exp.Sub(iat.Time), maxLifetime)
	case iat == nil && exp.Sub(now) > maxLifetime+leeway:
		return fmt.Errorf("%w: no iat, and exp is %s away, more than %s", errTokenLifetime, exp.Sub(now).Round(time.Second), maxLifetime)
	}
	return nil
}

// adminAPI registers the /admin/ routes.
func (s *Server) adminAPI(e *echo.Echo) error {
	auth, err := newAdminCheck(s.cfg.Admin.Auth)
	if err != nil {
		return err
	}
	s.adminCheck.Store(auth)
	g := e.Group("/admin", s.requireAdmin())
	g.GET("/outbox", s.adminOutbox)
	g.GET("/events", s.adminEvents)
	g.GET("/events/:id", s.adminEvent)
	g.POST("/replay", s.adminReplay)
	g.GET("/replays", s.adminReplays)
	g.DELETE("/replays/:id", s.adminCancelReplay)
	g.POST("/reload", s.adminReload)
	return nil
}

func (s *Server) adminOutbox(c echo.Context) error {
	rows, bytes := s.outbox.Load()
	st := s.relay.Stats()
	return c.JSON(http.StatusOK, map[string]any{
		"rows":               rows,
		"bytes":              bytes,
		"max_rows":           s.cfg.Storage.OutboxMaxRows,
		"max_bytes":          s.cfg.Storage.OutboxMaxBytes,
		"oldest_age_seconds": s.outboxAge().Seconds(),
		"parked":             s.parked(),
		"nats_connected":     s.nc.IsConnected(),
		"relay": map[string]any{
			"published":   st.Published,
			"duplicates":  st.Duplicates,
			"failures":    st.Failures,
			"parked":      st.Parked,
			"lag_seconds": st.Lag.Seconds(),
		},
	})
}

// Query selects archived events (see forward.Query).
type Query = forward.Query

// EventStatuses are the statuses an archived event can have: the values
// Query.Status takes.
var EventStatuses = []string{webhook.Accepted.String(), webhook.Stale.String(), StatusParked}

// EventQuery reads a Query from URL parameters or flags: provider,
// status (one of EventStatuses), id, since and until (RFC 3339 or unix
// seconds), before, limit.
func EventQuery(get func(string) string) (forward.Query, error) {
	q := forward.Query{Provider: get("provider"), Status: get("status"), EventID: get("id")}
	if q.Status != "" && !slices.Contains(EventStatuses, q.Status) {
		return q, fmt.Errorf("status: %q is not %s", q.Status, orList(EventStatuses))
	}
	var err error
	if q.Since, err = parseTime(get("since")); err != nil {
		return q, fmt.Errorf("since: %w", err)
	}
	if q.Until, err = parseTime(get("until")); err != nil {
		return q, fmt.Errorf("until: %w", err)
	}
	if v := get("before"); v != "" {
		if q.Before, err = strconv.ParseInt(v, 10, 64); err != nil {
			return q, fmt.Errorf("before: %q is not a number", v)
		}
	}
	if v := get("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit <= 0 || q.Limit > 1000 {
			return q, fmt.Errorf("limit: %q is not a number from 1 to 1000", v)
		}
	}
	return q, nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor unix seconds", s)
	}
	return t, nil
}

// eventJSON is an archived event as the admin API shows it.
type eventJSON struct {
	ID         int64               `json:"archive_id"`
	Provider   string              `json:"provider"`
	EventID    string              `json:"event_id"`
	EventType  string              `json:"event_type"`
	Status     string              `json:"status"`
	Subject    string              `json:"subject"`
	ReceivedAt time.Time           `json:"received_at"`
	Duplicates int                 `json:"duplicates"`
	Headers    map[string][]string `json:"headers,omitempty"`
	// Body is the body byte for byte, when it is UTF-8; one that is not
	// (which a JSON string cannot hold: encoding/json would replace its
	// bytes) is in BodyBase64 instead, as in request files.
	Body       *string `json:"body,omitempty"`
	BodyBase64 string  `json:"body_base64,omitempty"`
}

// toJSON shows r; with body, its headers and body too.
func toJSON(r forward.Record, body bool) eventJSON {
	e := eventJSON{ID: r.ID, Provider: r.Provider, EventID: r.EventID, EventType: r.EventType, Status: r.Status,
		Subject: r.Message.Subject, ReceivedAt: r.ReceivedAt.UTC(), Duplicates: r.Duplicates}
	if body {
		e.Headers = r.Message.Header
		if utf8.Valid(r.Message.Body) {
			b := string(r.Message.Body)
			e.Body = &b
		} else {
			e.BodyBase64 = base64.StdEncoding.EncodeToString(r.Message.Body)
		}
	}
	return e
}

func (s *Server) adminEvents(c echo.Context) error {
	q, err := EventQuery(c.QueryParam)
	if err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
	if q.Status == StatusParked {
		return s.adminParked(c, q)
	}
	rs, err := forward.Events(c.Request().Context(), s.db.Read, q, false)
	if err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
	}
	out := make([]eventJSON, len(rs))
	for i, r := range rs {
		out[i] = toJSON(r, false)
	}
	return c.JSON(http.StatusOK, map[string]any{"archive_enabled": s.cfg.Archive.Enabled, "events": out})
}

// adminEvent shows one archived event with headers and body; :id is the
// provider's event ID, with ?provider= to disambiguate.
func (s *Server) adminEvent(c echo.Context) error {
	rs, err := forward.Events(c.Request().Context(), s.db.Read,
		forward.Query{Provider: c.QueryParam("provider"), EventID: c.Param("id"), Limit: 1}, true)
	if err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
	}
	if len(rs) == 0 {
		return c.JSON(http.StatusNotFound, map[string]string{"error": forward.ErrNotFound.Error()})
	}
	return c.JSON(http.StatusOK, toJSON(rs[0], true))
}

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
