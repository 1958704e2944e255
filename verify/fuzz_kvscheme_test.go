package verify

import (
	"strings"
	"testing"
)

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

func FuzzVerifyCalendly(f *testing.F) {
	fuzzVerify(f, "calendly", "calendly", Options{}, "Calendly-Webhook-Signature")
}

func FuzzVerifyMux(f *testing.F) { fuzzVerifyMore(f, "mux", "Mux-Signature") }

func FuzzVerifyPersona(f *testing.F) { fuzzVerifyMore(f, "persona", "Persona-Signature") }

func FuzzVerifyRecurly(f *testing.F) { fuzzVerifyMore(f, "recurly", "Recurly-Signature") }

func FuzzVerifyWorkOS(f *testing.F) { fuzzVerifyMore(f, "workos", "WorkOS-Signature") }
