package verify

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzTemplateParse fuzzes the signature header parser of hmac-template in
// each format, seeded with the headers of the vectors it is configured for
// in templateConfigs.
func FuzzTemplateParse(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		if o, ok := templateConfigs[v.Scheme]; ok {
			f.Add(v.request().Header.Get(o.Header))
		}
	}
	for _, s := range []string{"", ",", ";", "=", "t=", "t=1,v1=", "ts=1;h1=00", "v1,abc v1,", " , ", "t==,v1==", strings.Repeat("v1=00,", 20)} {
		f.Add(s)
	}
	var vs []*templateVerifier
	for _, o := range []Options{
		{Header: "X-Sig"},
		{Header: "X-Sig", Prefix: "sha256="},
		{Header: "X-Sig", Format: "kv", Template: "{timestamp}.{body}"},
		{Header: "X-Sig", Format: "kv;:ts,h1", Template: "{timestamp}:{body}", Encoding: "base64", Algorithm: "sha512"},
		{Header: "X-Sig", Format: "kv:,v1", Prefix: "sha1=", Algorithm: "sha1"},
		{Header: "X-Sig", Format: "list", Prefix: "v1="},
		{Header: "X-Sig", Format: "list", Prefix: "v1,", Encoding: "base64"},
	} {
		o.Secrets, o.Tolerance = []string{"s"}, templateTolerance
		v, err := newTemplate(o)
		if err != nil {
			f.Fatalf("newTemplate(%+v) = %v", o, err)
		}
		vs = append(vs, v)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range vs {
			var sigs wideSigList
			if _, err := v.parse(s, &sigs); err == nil && (sigs.n < 1 || sigs.n > maxSigs) {
				t.Errorf("parse(%s, %q) = %d signatures; want 1 to %d", v.format, s, sigs.n, maxSigs)
			}
		}
	})
}

// FuzzTemplateOptions fuzzes the format and template options: New must not
// panic, and whatever it accepts must verify what Sign produces.
func FuzzTemplateOptions(f *testing.F) {
	for _, o := range templateConfigs {
		f.Add(o.Format, o.Template, o.Prefix, o.TimestampHeader)
	}
	f.Add("kv|:a,b", "{method}{url}{header:X-A}{body}{timestamp}", "p", "")
	f.Add("list", "{header:webhook-id}.{timestamp}.{body}", "v1,", "webhook-timestamp")
	f.Add("kv", "{{body}}", "", "")
	f.Fuzz(func(t *testing.T, format, template, prefix, tsHeader string) {
		o := Options{Secrets: []string{"s"}, Header: "X-Sig", Format: format, Template: template, Prefix: prefix, TimestampHeader: tsHeader}
		v, err := New("hmac-template", o)
		if err != nil {
			return
		}
		now := time.Unix(1700000000, 0)
		r := &Request{Method: "POST", URL: "https://example.com/h", Header: http.Header{}, Body: []byte(`{"id":1}`)}
		if err := Sign("hmac-template", r, o, now); err != nil {
			t.Fatalf("Sign(format %q, template %q) = %v; New accepted it", format, template, err)
		}
		if _, err := v.Verify(r, now); err != nil {
			t.Errorf("Verify(format %q, template %q, prefix %q) of a signed request = %v; header %q", format, template, prefix, err, r.Header)
		}
	})
}

func FuzzVerifyTemplate(f *testing.F) {
	o := templateConfigs["stripe"]
	fuzzVerify(f, "hmac-template", "stripe", o, "Stripe-Signature")
}

func FuzzVerifyTemplateTimestampHeader(f *testing.F) {
	o := templateConfigs["twitch-eventsub"]
	fuzzVerify(f, "hmac-template", "twitch-eventsub", o, "Twitch-Eventsub-Message-Signature", "Twitch-Eventsub-Message-Timestamp", "Twitch-Eventsub-Message-Id")
}
