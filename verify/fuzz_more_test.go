package verify

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the further providers: plain `go test` runs their seeds
// only; run one with `go test -fuzz=FuzzParsePersona ./verify`.

func FuzzParsePersona(f *testing.F) {
	for _, v := range mustLoadMoreVectors(f) {
		if s := v.Headers["Persona-Signature"]; s != "" {
			f.Add(s)
		}
	}
	for _, s := range []string{"", " ", ",", "t=", "t=1", "v1=", "t=1,v1=", "t=1 v1=00", "t==", "t=1 t=2 t=3 t=4 t=5", "v1=a,t=1",
		"t=1,v1=" + strings.Repeat("a", 64) + " t=2,v1=" + strings.Repeat("b", 64), "t=99999999999999999999,v1=" + strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzParseKV(t, &personaScheme, s)
	})
}

func FuzzParseRecurly(f *testing.F) {
	for _, v := range mustLoadMoreVectors(f) {
		if s := v.Headers["recurly-signature"]; s != "" {
			f.Add(s)
		}
	}
	for _, s := range []string{"", ",", "1,", "1,zz", ",," + strings.Repeat("a", 64), " 1 , " + strings.Repeat("a", 64), "-1," + strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzParseKV(t, &recurlyScheme, s)
	})
}

// FuzzCRCToken checks that no token the X CRC answers can be a JSON body,
// which would make the CRC sign forged deliveries.
func FuzzCRCToken(f *testing.F) {
	for _, s := range []string{"", "Y2xhc3NpYyBzdHVmZg", `{"a":1}`, "[1]", "a b", "a-b_c+d/="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if crcToken(s) && (s == "" || len(s) > maxChallenge || strings.ContainsAny(s, "{}[]\" :,")) {
			t.Errorf("crcToken(%q) = true; want false", s)
		}
	})
}

func FuzzQueryValue(f *testing.F) {
	for _, s := range []string{"", "https://h/x?challenge=a", "?challenge=%zz", "x?a=1&challenge=b#c", "?challenge=a&challenge=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		if c := queryValue(u, "challenge"); c != "" && !strings.Contains(u, "challenge") {
			t.Errorf("queryValue(%q) = %q without the parameter", u, c)
		}
	})
}

func FuzzVerifyAirtable(f *testing.F)    { fuzzVerifyMore(f, "airtable", "X-Airtable-Content-MAC") }
func FuzzVerifyAlchemy(f *testing.F)     { fuzzVerifyMore(f, "alchemy", "X-Alchemy-Signature") }
func FuzzVerifyCalcom(f *testing.F)      { fuzzVerifyMore(f, "calcom", "X-Cal-Signature-256") }
func FuzzVerifyCheckoutcom(f *testing.F) { fuzzVerifyMore(f, "checkoutcom", "Cko-Signature") }
func FuzzVerifyCustomerio(f *testing.F) {
	fuzzVerifyMore(f, "customerio", "X-CIO-Signature", "X-CIO-Timestamp")
}
func FuzzVerifyDocuSign(f *testing.F) {
	fuzzVerifyMore(f, "docusign", "X-DocuSign-Signature-1", "X-DocuSign-Signature-2")
}
func FuzzVerifyDropbox(f *testing.F) { fuzzVerifyMore(f, "dropbox", "X-Dropbox-Signature") }
func FuzzVerifyForgejo(f *testing.F) {
	fuzzVerifyMore(f, "forgejo", "X-Forgejo-Signature", "X-Gitea-Signature")
}
func FuzzVerifyFrameio(f *testing.F) {
	fuzzVerifyMore(f, "frameio", "X-Frameio-Signature", "X-Frameio-Request-Timestamp")
}
func FuzzVerifyGitea(f *testing.F)      { fuzzVerifyMore(f, "gitea", "X-Gitea-Signature") }
func FuzzVerifyGoCardless(f *testing.F) { fuzzVerifyMore(f, "gocardless", "Webhook-Signature") }
func FuzzVerifyIntuit(f *testing.F)     { fuzzVerifyMore(f, "intuit", "Intuit-Signature") }
func FuzzVerifyMux(f *testing.F)        { fuzzVerifyMore(f, "mux", "Mux-Signature") }
func FuzzVerifyNylas(f *testing.F)      { fuzzVerifyMore(f, "nylas", "X-Nylas-Signature") }
func FuzzVerifyOkta(f *testing.F) {
	fuzzVerifyMore(f, "okta", "Authorization", "X-Okta-Verification-Challenge")
}
func FuzzVerifyPersona(f *testing.F)  { fuzzVerifyMore(f, "persona", "Persona-Signature") }
func FuzzVerifyRazorpay(f *testing.F) { fuzzVerifyMore(f, "razorpay", "X-Razorpay-Signature") }
func FuzzVerifyRecurly(f *testing.F)  { fuzzVerifyMore(f, "recurly", "Recurly-Signature") }
func FuzzVerifyTelnyx(f *testing.F) {
	fuzzVerifyMore(f, "telnyx", "Telnyx-Signature-Ed25519", "Telnyx-Timestamp")
}
func FuzzVerifyTrello(f *testing.F)  { fuzzVerifyMore(f, "trello", "X-Trello-Webhook") }
func FuzzVerifyTwitter(f *testing.F) { fuzzVerifyMore(f, "twitter", "X-Twitter-Webhooks-Signature") }
func FuzzVerifyVercel(f *testing.F)  { fuzzVerifyMore(f, "vercel", "X-Vercel-Signature") }
func FuzzVerifyWebflow(f *testing.F) {
	fuzzVerifyMore(f, "webflow", "X-Webflow-Signature", "X-Webflow-Timestamp")
}
func FuzzVerifyWorkOS(f *testing.F) { fuzzVerifyMore(f, "workos", "WorkOS-Signature") }
func FuzzVerifyXero(f *testing.F)   { fuzzVerifyMore(f, "xero", "X-Xero-Signature") }
func FuzzVerifyZendesk(f *testing.F) {
	fuzzVerifyMore(f, "zendesk", "X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp")
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
	if typ != "telnyx" { // its secrets are public keys
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
