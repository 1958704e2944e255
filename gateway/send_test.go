package gateway

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTestRequestDefaultVersion: send's default version follows the
// provider's ordering format, so a second send of an entity is not stale
// against one sent with an explicit version in that format.
func TestTestRequestDefaultVersion(t *testing.T) {
	now := time.Unix(1_800_000_000, 123_000_000)
	for format, want := range map[string]string{
		"unix_ms": strconv.FormatInt(now.UnixMilli(), 10),
		"unix":    strconv.FormatInt(now.Unix(), 10),
		"rfc3339": now.UTC().Format(time.RFC3339Nano),
	} {
		c := mustValid(t, `
providers:
  - name: p
    type: standard-webhooks
    secrets: [whsec_aG9va2dhdGUtZGVtby1zZWNyZXQtZG8tbm90LXVzZSE=]
    ordering: {key: data.id, version: data.updated_at, format: `+format+`}
`)
		pc, _ := c.Provider("p")
		r, err := pc.TestRequest("http://127.0.0.1:8080", TestEvent{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("format %s: body %s; want the version %s", format, r.Body, want)
		}
	}
}
