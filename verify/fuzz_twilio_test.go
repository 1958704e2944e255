package verify

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzTwilioParams checks the form decoding against url.ParseQuery where
// that accepts the body: every name and value, sorted, concatenated.
func FuzzTwilioParams(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		if v.Scheme == "twilio" {
			f.Add([]byte(v.Body))
		}
	}
	for _, s := range []string{"", "&", "=", "a", "a=", "=b", "a=1&a=0", "a+b=c+d", "%zz=1", "a=%", "a;b=c", "&&a=1&&"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := twilioParams(body)
		q, qerr := url.ParseQuery(string(body))
		if err != nil || qerr != nil {
			return
		}
		var want strings.Builder
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			vs := slices.Clone(q[k])
			slices.Sort(vs)
			for _, v := range vs {
				want.WriteString(k + v)
			}
		}
		if string(got) != want.String() {
			t.Errorf("twilioParams(%q) = %q; want %q", body, got, want.String())
		}
	})
}

// FuzzTwilioURLs checks the URL helpers: the port variants, the public
// base, and the query parameter reader and writer.
func FuzzTwilioURLs(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		if v.URL != "" {
			f.Add(v.URL)
		}
	}
	for _, s := range []string{"", "://", "https://", "https://h", "https://h:1/p?q#f", "http://u:p@h/p", "https://[::1]/x", "https://[::1]:8/x",
		"/p?bodySHA256=ab&bodySHA256=cd", "?", "x://h:", "https://h?%zz=1&bodySHA%32%35%36=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		vs := twilioPortVariants(u)
		if vs[0] == "" && u != "" {
			t.Errorf("twilioPortVariants(%q) = %q; want the first variant set", u, vs)
		}
		if vs[1] != "" && !strings.Contains(vs[1], "://") {
			t.Errorf("twilioPortVariants(%q) = %q; want scheme://host in the second", u, vs)
		}
		if got := withPublicBase(u, "https://example.com"); !strings.HasPrefix(got, "https://example.com/") {
			t.Errorf("withPublicBase(%q) = %q; want the base and a path", u, got)
		}
		set := twilioSetQueryParam(u, twilioBodyHash, "abc")
		if !strings.Contains(u, "#") {
			if v, ok := twilioQueryParam(set, twilioBodyHash); !ok || v != "abc" && !strings.Contains(u, "%") {
				t.Errorf("twilioQueryParam(twilioSetQueryParam(%q)) = %q, %v; want abc", u, v, ok)
			}
		}
		hubspotDecodeURI(u)
	})
}

func FuzzVerifyTwilio(f *testing.F) {
	fuzzVerifyURL(f, "twilio", "twilio", Options{}, "X-Twilio-Signature")
}

func FuzzVerifySquare(f *testing.F) {
	fuzzVerifyURL(f, "square", "square", Options{}, "X-Square-Hmacsha256-Signature")
}

// fuzzVerifyURL is fuzzVerify for schemes that sign the URL and method: it
// fuzzes them too, with up to two header values.
func fuzzVerifyURL(f *testing.F, typ, scheme string, o Options, headers ...string) {
	ver := mustFuzzVerifier(f, typ, scheme, &o, func(v vector, r *Request) {
		hv := headerValues(r, headers)
		f.Add(hv[0], hv[1], r.Method, r.URL, []byte(v.Body), v.Now)
	})
	now := time.Unix(1700000000, 0)
	for _, body := range []string{`{"id":"evt_1","type":"a.b"}`, "a=1&b=2"} {
		r := &Request{Method: "POST", URL: "https://example.com:8443/hook?x=1", Header: http.Header{}, Body: []byte(body)}
		if err := Sign(typ, r, o, now); err != nil {
			f.Fatalf("Sign(%s) = %v", typ, err)
		}
		hv := headerValues(r, headers)
		f.Add(hv[0], hv[1], r.Method, r.URL, r.Body, now.Unix())
	}
	f.Fuzz(func(t *testing.T, h0, h1, method, u string, body []byte, unix int64) {
		r := fuzzRequest(method, u, body, headers, h0, h1)
		res, err := ver.Verify(r, time.Unix(unix, 0))
		checkFuzzVerify(t, typ, len(o.Secrets), res, err)
	})
}

func FuzzVerifyTrello(f *testing.F) { fuzzVerifyMore(f, "trello", "X-Trello-Webhook") }
