package sender

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/configtest"
)

// mustConfig reads and validates a config.
func mustConfig(tb testing.TB, src string) *config.Config { return configtest.Config(tb, src) }

// TestRequestDefaultVersion: send's default version follows the
// provider's ordering format, so a second send of an entity is not stale
// against one sent with an explicit version in that format.
func TestRequestDefaultVersion(t *testing.T) {
	now := time.Unix(1_800_000_000, 123_000_000)
	for format, want := range map[string]string{
		"unix_ms": strconv.FormatInt(now.UnixMilli(), 10),
		"unix":    strconv.FormatInt(now.Unix(), 10),
		"rfc3339": now.UTC().Format(time.RFC3339Nano),
	} {
		c := mustConfig(t, `
providers:
  - name: p
    type: standard-webhooks
    secrets: [whsec_aG9va2dhdGUtZGVtby1zZWNyZXQtZG8tbm90LXVzZSE=]
    ordering: {key: data.id, version: data.updated_at, format: `+format+`}
`)
		pc, _ := c.Provider("p")
		r, err := Request(pc, "http://127.0.0.1:8080", Event{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("format %s: body %s; want the version %s", format, r.Body, want)
		}
	}
}

// TestRequestIDWithoutIDSource: for a provider whose events carry no ID
// (the gateway takes the body's hash), the ID still makes the body: two
// IDs give two bodies, one ID twice the same body.
func TestRequestIDWithoutIDSource(t *testing.T) {
	c := mustConfig(t, `
providers:
  - name: p
    type: hmac
    secrets: [s3cret]
    options: {header: X-Sig}
`)
	pc, _ := c.Provider("p")
	now := time.Unix(1_800_000_000, 0)
	body := func(id string) string {
		r, err := Request(pc, "http://127.0.0.1:8080", Event{ID: id, Type: "t"}, now)
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Body)
	}
	if a, b, a2 := body("unique-1"), body("unique-2"), body("unique-1"); a == b || a != a2 {
		t.Errorf("bodies for unique-1, unique-2, unique-1: %s, %s, %s; want the two IDs apart, the same ID alike", a, b, a2)
	}
}

// secretMarker is in every secret of TestSendHidesCredentials: no output
// may hold it.
const secretMarker = "MRKRq7"

// TestSendHidesCredentials sends with providers whose request carries the
// secret itself (a token, basic auth): the server gets it, the printed
// request does not.
func TestSendHidesCredentials(t *testing.T) {
	for _, c := range []struct {
		typ, secret, header, options string
	}{
		{typ: "token", secret: secretMarker + "-token", header: "X-Token", options: "{header: X-Token}"},
		{typ: "basic-auth", secret: "user:" + secretMarker, header: "Authorization", options: "{}"},
		{typ: "jwt", secret: secretMarker + "-hmac-key-of-at-least-32-bytes!!", header: "Authorization", options: "{algorithms: [HS256]}"},
	} {
		t.Run(c.typ, func(t *testing.T) {
			got := make(chan string, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.Header.Get(c.header)
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()
			cfg := mustConfig(t, "providers:\n  - {name: p, type: "+c.typ+", secrets: [\""+c.secret+"\"], options: "+c.options+"}\n")
			var out strings.Builder
			resp, err := Send(context.Background(), cfg, "p", srv.URL, Event{}, &out)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if h := <-got; h == "" || h == "[redacted]" {
				t.Errorf("Send(%s) sent %s %q; want the credential", c.typ, c.header, h)
			}
			if strings.Contains(out.String(), secretMarker) || !strings.Contains(out.String(), c.header+": [redacted]") {
				t.Errorf("Send(%s) printed:\n%s\nwant %s redacted", c.typ, out.String(), c.header)
			}
		})
	}
}
