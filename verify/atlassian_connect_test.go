package verify_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestAtlassianConnectOptions: public_url's path (the app's baseUrl) is not
// part of what the qsh covers, and issuer pins the installation.
func TestAtlassianConnectOptions(t *testing.T) {
	const secret = "s0m3-sh@r3d-s3cr37"
	base := verify.Options{Secrets: []string{secret}, PublicURL: "https://app.example.com/jira", Issuer: "jira:1234"}
	r := &verify.Request{Method: "POST", URL: "http://10.0.0.7:8080/jira/webhooks/issue?user_id=a%20b", Header: http.Header{}, Body: []byte(`{"webhookEvent":"jira:issue_created"}`)}
	if err := verify.Sign("atlassian-connect", r, base, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		o    verify.Options
		url  string
		want error
	}{
		{name: "signed as sent", o: base},
		{name: "another host: only the path and query are covered", o: base, url: "https://gateway.example/jira/webhooks/issue?user_id=a+b"},
		{name: "without the base path", o: verify.Options{Secrets: []string{secret}}, want: verify.ErrMismatch},
		{name: "another base path", o: verify.Options{Secrets: []string{secret}, PublicURL: "https://app.example.com/confluence"}, want: verify.ErrMismatch},
		{name: "another issuer", o: verify.Options{Secrets: []string{secret}, PublicURL: base.PublicURL, Issuer: "jira:5678"}, want: verify.ErrClaims},
		{name: "any issuer", o: verify.Options{Secrets: []string{secret}, PublicURL: base.PublicURL}},
		{name: "another query", o: base, url: "http://10.0.0.7:8080/jira/webhooks/issue?user_id=a", want: verify.ErrMismatch},
	} {
		v, err := verify.New("atlassian-connect", c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		req := *r
		if c.url != "" {
			req.URL = c.url
		}
		_, err = v.Verify(&req, now)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v; want %v", c.name, err, c.want)
		}
	}

	// The token in the query when there is no Authorization header.
	v, err := verify.New("atlassian-connect", base)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "JWT ")
	q := &verify.Request{Method: "POST", URL: r.URL + "&jwt=" + tok, Header: http.Header{}}
	if _, err := v.Verify(q, now); err != nil {
		t.Errorf("token in the query: %v", err)
	}
	if _, err := v.Verify(q, now.Add(10*time.Minute)); !errors.Is(err, verify.ErrTooOld) {
		t.Errorf("token in the query, 10 minutes later: %v; want ErrTooOld", err)
	}
}
