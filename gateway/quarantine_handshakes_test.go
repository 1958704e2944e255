package gateway

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestQuarantineKeepsNoURLSecretNorHandshakeSecret: a request that carries
// the right secret in its URL (Event Grid's query_param) but fails for
// another reason is kept with that parameter redacted, and a refused Asana
// handshake without its X-Hook-Secret.
func TestQuarantineKeepsNoURLSecretNorHandshakeSecret(t *testing.T) {
	s := mustServer(t, "quarantine: {enabled: true}",
		providerYAML("grid", "eventgrid", "grid-url-secret", "options: {query_param: code}")+
			providerYAML("asana", "asana", "known-asana-secret"))
	req, _ := http.NewRequest("POST", "/webhooks/grid?a=1&code=grid-url-secret&b=2", strings.NewReader("not JSON"))
	if code := postTo(t, s, req); code != 400 {
		t.Fatalf("malformed body with the right secret: %d; want 400", code)
	}
	req, _ = http.NewRequest("POST", "/webhooks/asana", nil)
	req.Header.Set("X-Hook-Secret", "a-second-webhooks-secret")
	if code := postTo(t, s, req); code != 401 {
		t.Fatalf("second Asana handshake: %d; want 401", code)
	}
	var grid, asana []keptRequest
	testkit.WaitFor(t, 10*time.Second, func() string { return "the failed requests never reached the quarantine" }, func() bool {
		grid, asana = readQuarantine(t, s, "grid", 10), readQuarantine(t, s, "asana", 10)
		return len(grid) > 0 && len(asana) > 0
	})
	if u := grid[0].Request.URL; strings.Contains(u, "grid-url-secret") || !strings.Contains(u, "a=1&code=%5Bredacted%5D&b=2") {
		t.Errorf("kept URL %q; want the code parameter redacted and the rest kept", u)
	}
	if got := asana[0].Request.Header.Get("X-Hook-Secret"); got != "[redacted]" {
		t.Errorf("kept X-Hook-Secret = %q; want [redacted]", got)
	}
}
