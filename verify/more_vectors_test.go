package verify

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// moreVector is one object of testdata/vectors_more.json: the vectors of the
// further providers (vercel.go, mux.go, ...), in the fields of the shared
// catalogue. Each was computed with Python's hmac, hashlib and cryptography
// from the provider's documented algorithm (or copied from an official SDK
// test), independently of this package; source names the page it follows.
type moreVector struct {
	vector
	Provider   string `json:"provider"`
	Provenance string `json:"provenance"`
	Source     string `json:"source"`
}

// morePresets are the presets whose vectors are in vectors_more.json.
var morePresets = []string{
	"airtable", "alchemy", "calcom", "checkoutcom", "customerio", "docusign", "dropbox", "forgejo",
	"frameio", "gitea", "gocardless", "intuit", "mux", "nylas", "okta", "persona", "razorpay",
	"recurly", "telnyx", "trello", "twitter", "vercel", "webflow", "workos", "xero", "zendesk",
}

func mustLoadMoreVectors(tb testing.TB) []moreVector {
	tb.Helper()
	data, err := os.ReadFile("testdata/vectors_more.json")
	if err != nil {
		tb.Fatal(err)
	}
	var vs []moreVector
	if err := json.Unmarshal(data, &vs); err != nil {
		tb.Fatalf("testdata/vectors_more.json: %v", err)
	}
	return vs
}

// TestMoreVectors runs every vector of testdata/vectors_more.json through
// New and Verify, as TestVectors does for the shared catalogue. A handshake
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
			if kinds[vec.Scheme] == nil {
				kinds[vec.Scheme] = map[string]bool{}
			}
			kinds[vec.Scheme][vec.Expect] = true
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
		if !slices.Contains(morePresets, name) {
			t.Errorf("vectors_more.json: scheme %s is not in morePresets", name)
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
