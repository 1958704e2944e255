package verify

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"
)

// vector is one conformance case of testdata/vectors.json, a copy of the
// stripe, github, github-sha1 and standard-webhooks objects of the shared
// catalogue (../shared/vectors/vectors.json). Each object cites its source
// and provenance; only the fields used here are decoded.
type vector struct {
	ID         string            `json:"id"`
	Scheme     string            `json:"scheme"`
	Secret     json.RawMessage   `json:"secret"` // a string or a list of strings
	ToleranceS int               `json:"tolerance_s"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	Now        int64             `json:"now"`
	Expect     string            `json:"expect"`
	Reason     string            `json:"reason"`
}

// mustLoadVectors reads testdata/vectors.json.
func mustLoadVectors(tb testing.TB) []vector {
	tb.Helper()
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		tb.Fatalf("testdata/vectors.json: %v", err)
	}
	if len(vs) == 0 {
		tb.Fatal("testdata/vectors.json holds no vectors")
	}
	return vs
}

func (v vector) secrets(tb testing.TB) []string {
	tb.Helper()
	var one string
	if err := json.Unmarshal(v.Secret, &one); err == nil {
		return []string{one}
	}
	var many []string
	if err := json.Unmarshal(v.Secret, &many); err != nil {
		tb.Fatalf("vector %s: secret is neither a string nor a list: %v", v.ID, err)
	}
	return many
}

func (v vector) options(tb testing.TB) Options {
	return Options{Secrets: v.secrets(tb), Tolerance: time.Duration(v.ToleranceS) * time.Second}
}

func (v vector) request() *Request {
	h := make(http.Header, len(v.Headers))
	for k, val := range v.Headers {
		h.Set(k, val)
	}
	return &Request{Method: "POST", Header: h, Body: []byte(v.Body)}
}

func TestVectors(t *testing.T) {
	for _, vec := range mustLoadVectors(t) {
		t.Run(vec.ID, func(t *testing.T) {
			v, err := New(vec.Scheme, vec.options(t))
			if err != nil {
				t.Fatalf("New(%s) = %v", vec.Scheme, err)
			}
			res, err := v.Verify(vec.request(), time.Unix(vec.Now, 0))
			switch vec.Expect {
			case "valid":
				if err != nil || res.SecretIndex != 0 {
					t.Errorf("Verify(%s) = %+v, %v; want index 0, valid (%s)", vec.ID, res, err, vec.Reason)
				}
			case "invalid":
				if err == nil {
					t.Errorf("Verify(%s) = valid; want invalid (%s)", vec.ID, vec.Reason)
				} else if !isVerifyError(err) {
					t.Errorf("Verify(%s) = %v; want one of the Verify sentinel errors", vec.ID, err)
				}
				t.Logf("Verify(%s) = %v", vec.ID, err)
			default:
				t.Fatalf("vector %s: unknown expect %q", vec.ID, vec.Expect)
			}
		})
	}
}

// isVerifyError reports whether err wraps one of the errors Verify may
// return.
func isVerifyError(err error) bool {
	for _, s := range []error{ErrNoSignature, ErrMalformed, ErrMismatch, ErrTooOld, ErrTooNew} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
