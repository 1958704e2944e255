package bench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBaselineHandler: the baseline reads the body and answers 200 with an
// empty body, and refuses a body over 1 MiB.
func TestBaselineHandler(t *testing.T) {
	h := BaselineHandler()
	for _, c := range []struct {
		size int
		code int
	}{{0, 200}, {1500, 200}, {baselineMaxBody, 200}, {baselineMaxBody + 1, 413}} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/bench", strings.NewReader(strings.Repeat("x", c.size))))
		if rec.Code != c.code {
			t.Errorf("%d-byte body: %d; want %d", c.size, rec.Code, c.code)
		}
		if c.code == 200 && rec.Body.Len() != 0 {
			t.Errorf("%d-byte body: answered %q; want an empty body", c.size, rec.Body.String())
		}
	}
}
