package verify

import (
	"encoding/json"
	"strings"
	"testing"
)

func FuzzVerifyWise(f *testing.F) { fuzzVerifyMore(f, "wise", wiseHeader, "X-Delivery-Id") }

func FuzzVerifyJira(f *testing.F) { fuzzVerifyMore(f, "jira", "X-Hub-Signature") }

// FuzzVerifyBraintree fuzzes the form body (bt_signature, bt_payload) and
// the GET challenge in the URL.
func FuzzVerifyBraintree(f *testing.F) { fuzzVerifyMore(f, "braintree", "Content-Type") }

func FuzzVerifyAtlassianConnect(f *testing.F) {
	fuzzVerifyMore(f, "atlassian-connect", "Authorization", "X-Atlassian-Webhook-Identifier")
}

// FuzzAtlassianCanonical: the canonical request of any method, URL and
// base path either is an error or starts with the method in upper case,
// has a path that starts with "/" and holds no unescaped "&", and puts no
// jwt parameter in the query.
func FuzzAtlassianCanonical(f *testing.F) {
	for _, s := range []string{"/test?param=value&jwt=x", "https://e.com/a&b?x=y&x=z", "/", "", "?a&b=&c", "/%zz", "/x?%zz=1", "/base/x/"} {
		f.Add("GET", s, "/base")
	}
	f.Fuzz(func(t *testing.T, method, url, base string) {
		c, err := atlassianCanonical(method, url, base)
		if err != nil {
			return
		}
		m, rest, ok := strings.Cut(c, "&")
		if !ok || m != strings.ToUpper(method) && !strings.Contains(method, "&") {
			t.Fatalf("atlassianCanonical(%q, %q) = %q: no method first", method, url, c)
		}
		if strings.Contains(method, "&") {
			return // the method is the caller's and not escaped
		}
		path, query, ok := strings.Cut(rest, "&")
		if !ok || !strings.HasPrefix(path, "/") {
			t.Fatalf("atlassianCanonical(%q, %q) = %q: path %q", method, url, c, path)
		}
		for _, kv := range strings.Split(query, "&") {
			if strings.HasPrefix(kv, "jwt=") {
				t.Fatalf("atlassianCanonical(%q, %q) = %q keeps jwt", method, url, c)
			}
		}
	})
}

// FuzzBraintreeFields: any payload gives nil or a JSON object.
func FuzzBraintreeFields(f *testing.F) {
	f.Add("PG5vdGlmaWNhdGlvbj48a2luZD5jaGVjazwva2luZD48L25vdGlmaWNhdGlvbj4=\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, payload string) {
		if b := braintreeFields(payload); b != nil {
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("braintreeFields(%q) = %q: %v", payload, b, err)
			}
		}
	})
}
