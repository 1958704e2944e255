package sender

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSendHidesURLAndBodySecrets sends with providers that carry their
// secret in the URL's query (eventgrid, strava) or in the body (msgraph's
// clientState): the server gets it, the printed request does not.
func TestSendHidesURLAndBodySecrets(t *testing.T) {
	for _, c := range []struct{ typ, options string }{
		{typ: "eventgrid", options: "{query_param: code}"},
		{typ: "strava", options: "{}"},
		{typ: "msgraph", options: "{}"},
	} {
		t.Run(c.typ, func(t *testing.T) {
			got := make(chan string, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- r.URL.RawQuery + " " + string(b)
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()
			cfg := mustConfig(t, "providers:\n  - {name: p, type: "+c.typ+", secrets: [\""+secretMarker+"-url-secret\"], options: "+c.options+"}\n")
			var out strings.Builder
			resp, err := Send(context.Background(), cfg, "p", srv.URL, Event{}, &out)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if sent := <-got; !strings.Contains(sent, secretMarker) {
				t.Errorf("Send(%s) sent %q; want the secret", c.typ, sent)
			}
			if strings.Contains(out.String(), secretMarker) || !strings.Contains(out.String(), "[redacted]") && !strings.Contains(out.String(), "%5Bredacted%5D") {
				t.Errorf("Send(%s) printed:\n%s\nwant the secret redacted", c.typ, out.String())
			}
		})
	}
}
