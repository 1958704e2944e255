package verify

import (
	"cmp"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// moreVector is one object of testdata/vectors_more*.json: the vectors of
// the providers that testdata/vectors.json lacks (vercel.go, mux.go, ...),
// in its fields. Each was computed with Python's hmac, hashlib and cryptography
// from the provider's documented algorithm (or copied from an official SDK
// test), independently of this package; source names the page it follows.
type moreVector struct {
	vector
	Provider   string `json:"provider"`
	Provenance string `json:"provenance"`
	Source     string `json:"source"`
}

// morePresets are the presets whose vectors are in vectors_more.json;
// the presets of the other vectors_more_*.json files are the schemes their
// vectors name (each must be a preset, with a valid and an invalid vector).
var morePresets = []string{
	"airtable", "alchemy", "calcom", "checkoutcom", "customerio", "docusign", "dropbox", "forgejo",
	"frameio", "gitea", "gocardless", "intuit", "mux", "nylas", "okta", "persona", "razorpay",
	"recurly", "telnyx", "trello", "twitter", "vercel", "webflow", "workos", "xero", "zendesk",
}

// mustLoadMoreVectors reads testdata/vectors_more.json and the
// testdata/vectors_more_*.json files (one per batch of providers), in name
// order.
func mustLoadMoreVectors(tb testing.TB) []moreVector {
	tb.Helper()
	files, err := filepath.Glob("testdata/vectors_more*.json")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no testdata/vectors_more*.json (%v)", err)
	}
	var all []moreVector
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var vs []moreVector
		if err := json.Unmarshal(data, &vs); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		all = append(all, vs...)
	}
	return all
}

// TestMoreVectors runs every vector of testdata/vectors_more.json through
// New and Verify, as TestVectors does for testdata/vectors.json. A handshake
// vector's expected_response is either a JSON value, compared as JSON, or a
// JSON string, compared byte for byte with a plain-text answer ("" for an
// empty one).
func TestMoreVectors(t *testing.T) {
	vs := mustLoadMoreVectors(t)
	kinds := map[string]map[string]bool{}
	for _, vec := range vs {
		t.Run(vec.ID, func(t *testing.T) {
			if vec.Provider == "" || vec.Source == "" || vec.Provenance == "" {
				t.Errorf("vector %s: provider, source and provenance are required", vec.ID)
			}
			// Derived negatives (vectors_more_negatives.json) stand
			// beside their preset's own vectors, wherever those are.
			if !strings.HasPrefix(vec.Provenance, "derived from") {
				if kinds[vec.Scheme] == nil {
					kinds[vec.Scheme] = map[string]bool{}
				}
				kinds[vec.Scheme][vec.Expect] = true
			}
			runVector(t, vec.vector, func(res Result) { checkMoreResponse(t, vec, res) })
		})
	}
	for _, name := range morePresets {
		if !kinds[name]["valid"] || !kinds[name]["invalid"] {
			t.Errorf("vectors_more.json: %s has valid %v, invalid %v; want both", name, kinds[name]["valid"], kinds[name]["invalid"])
		}
		if _, ok := Lookup(name); !ok {
			t.Errorf("Lookup(%s) = false", name)
		}
	}
	for name := range kinds {
		if !kinds[name]["valid"] || !kinds[name]["invalid"] {
			t.Errorf("vectors_more*.json: %s has valid %v, invalid %v; want both", name, kinds[name]["valid"], kinds[name]["invalid"])
		}
		if _, ok := Lookup(name); !ok {
			t.Errorf("vectors_more*.json: scheme %s is not a preset", name)
		}
	}
}

// checkMoreResponse compares a valid vector's handshake answer with its
// expected_response, and checks that a delivery gets none.
func checkMoreResponse(t *testing.T, vec moreVector, res Result) {
	t.Helper()
	if len(vec.ExpectedResponse) == 0 {
		if res.Response != nil {
			t.Errorf("Verify(%s) = handshake %q; want an event", vec.ID, res.Response.Body)
		}
		return
	}
	if res.Response == nil {
		t.Fatalf("Verify(%s) gave no handshake response; want %s", vec.ID, vec.ExpectedResponse)
	}
	if status := cmp.Or(res.Response.Status, 200); vec.ExpectedStatus != 0 && status != vec.ExpectedStatus {
		t.Errorf("Verify(%s) response status = %d; want %d", vec.ID, status, vec.ExpectedStatus)
	}
	for k, want := range vec.ExpectedHeaders {
		if got := res.Response.Header.Get(k); got != want {
			t.Errorf("Verify(%s) response header %s = %q; want %q", vec.ID, k, got, want)
		}
	}
	var text string
	if json.Unmarshal(vec.ExpectedResponse, &text) == nil {
		if string(res.Response.Body) != text {
			t.Errorf("Verify(%s) response = %q; want %q", vec.ID, res.Response.Body, text)
		}
		return
	}
	if !jsonEqual(t, res.Response.Body, vec.ExpectedResponse) {
		t.Errorf("Verify(%s) response = %s; want %s", vec.ID, res.Response.Body, vec.ExpectedResponse)
	}
}

// fuzzVerifyMore fuzzes Verify of preset typ with the method, the URL, up to
// three header values, the body and the clock, seeded with the preset's
// vectors of vectors_more.json (whose secrets are all configured) and, for
// schemes with a shared secret, a freshly signed request. Verify must not
// panic, and must return either a valid SecretIndex or one of its sentinel
// errors.
func fuzzVerifyMore(f *testing.F, typ string, headers ...string) {
	var o Options
	for _, v := range mustLoadMoreVectors(f) {
		if v.Scheme != typ {
			continue
		}
		addSecrets(&o, v.options(f).Secrets)
		r := v.request()
		hv := headerValues(r, headers)
		f.Add(r.Method, r.URL, hv[0], hv[1], hv[2], r.Body, v.Now)
	}
	if len(o.Secrets) == 0 {
		f.Fatalf("no %s vectors in vectors_more.json", typ)
	}
	ver, err := New(typ, o)
	if err != nil {
		f.Fatalf("New(%s) = %v", typ, err)
	}
	if typ != "telnyx" && typ != "wise" { // their secrets are public keys
		now := time.Unix(1700000000, 0)
		r := &Request{Method: "POST", URL: "https://example.com/hook", Header: http.Header{}, Body: []byte(`{"id":"evt_1","type":"a.b"}`)}
		if err := Sign(typ, r, o, now); err != nil {
			f.Fatalf("Sign(%s) = %v", typ, err)
		}
		hv := headerValues(r, headers)
		f.Add(r.Method, r.URL, hv[0], hv[1], hv[2], r.Body, now.Unix())
	}
	f.Fuzz(func(t *testing.T, method, url, h0, h1, h2 string, body []byte, unix int64) {
		r := fuzzRequest(method, url, body, headers, h0, h1, h2)
		res, err := ver.Verify(r, time.Unix(unix, 0))
		checkFuzzVerify(t, typ, len(o.Secrets), res, err)
	})
}

// TestEveryPresetHasNegatives: every provider preset is proven wrong by
// the negatives the catalogue promises (vectors_more_negatives.json,
// derived from its valid vectors): a body changed after signing, where the
// body is signed; another secret; a clock past the replay window, where a
// timestamp is signed. Presets configured with a public key, a certificate
// chain or a key pair object have their wrong-key negatives in their own
// vector files.
func TestEveryPresetHasNegatives(t *testing.T) {
	have := map[string]bool{}
	for _, v := range mustLoadMoreVectors(t) {
		if strings.HasPrefix(v.Provenance, "derived from") && v.Expect == "invalid" {
			have[v.ID] = true
		}
	}
	generic := []string{"ed25519", "hmac", "hmac-template", "jwt", "token"}
	ownKeys := []string{"apple-assn-v2", "box", "discord-ed25519", "sendgrid-ecdsa", "standard-webhooks-v1a", "telnyx", "wise"}
	for _, p := range Presets() {
		if slices.Contains(generic, p.Name) {
			continue
		}
		want := map[string]bool{
			"tampered":     !p.BodyUnsigned,
			"wrong-secret": !p.NoSecret && !slices.Contains(ownKeys, p.Name),
			"too-old":      p.Tolerance > 0,
		}
		for kind, needed := range want {
			if needed && !have[p.Name+"-derived-"+kind] {
				t.Errorf("%s has no %s negative; run make readme", p.Name, kind)
			}
		}
	}
}
