package verify_test

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestToken covers the generic token scheme and the gitlab-token preset.
func TestToken(t *testing.T) {
	bearer := Options{Header: "Authorization", Prefix: "Bearer "}
	plain := Options{Header: "X-Token"}
	tests := []struct {
		name   string
		typ    string
		o      Options
		header http.Header
		want   error // nil: valid
	}{
		{name: "bearer", typ: "token", o: bearer, header: http.Header{"Authorization": {"Bearer tok-1"}}},
		{name: "bearer scheme case-insensitive", typ: "token", o: bearer, header: http.Header{"Authorization": {"bearer tok-1"}}},
		{name: "bearer token case-sensitive", typ: "token", o: bearer, header: http.Header{"Authorization": {"Bearer TOK-1"}}, want: verify.ErrMismatch},
		{name: "bearer missing", typ: "token", o: bearer, header: http.Header{}, want: verify.ErrNoSignature},
		{name: "bearer wrong scheme", typ: "token", o: bearer, header: http.Header{"Authorization": {"Basic tok-1"}}, want: verify.ErrMalformed},
		{name: "bearer prefix of the token", typ: "token", o: bearer, header: http.Header{"Authorization": {"Bearer tok-"}}, want: verify.ErrMismatch},
		{name: "bearer longer token", typ: "token", o: bearer, header: http.Header{"Authorization": {"Bearer tok-11"}}, want: verify.ErrMismatch},
		{name: "plain", typ: "token", o: plain, header: http.Header{"X-Token": {"tok-1"}}},
		{name: "plain with space", typ: "token", o: plain, header: http.Header{"X-Token": {"tok-1 "}}, want: verify.ErrMismatch},
		{name: "gitlab", typ: "gitlab-token", o: Options{}, header: http.Header{"X-Gitlab-Token": {"tok-1"}}},
		{name: "gitlab alias", typ: "gitlab", o: Options{}, header: http.Header{"X-Gitlab-Token": {"tok-1"}}},
		{name: "gitlab wrong", typ: "gitlab-token", o: Options{}, header: http.Header{"X-Gitlab-Token": {"tok-2"}}, want: verify.ErrMismatch},
		{name: "gitlab missing", typ: "gitlab-token", o: Options{}, header: http.Header{"Authorization": {"tok-1"}}, want: verify.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Secrets = []string{"other", "tok-1"}
			v := mustVerifier(t, tt.typ, o)
			checkVerifyIndex(t, v, &verify.Request{Header: tt.header}, now, tt.want, 1)
		})
	}
}

// TestBasicAuth covers the Authorization header of basic-auth (Postmark).
func TestBasicAuth(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name  string
		value string
		want  error // nil: valid
	}{
		{"valid", "Basic " + b64("webhookuser:s3cr3t-pa55"), nil},
		{"scheme case-insensitive", "BASIC " + b64("webhookuser:s3cr3t-pa55"), nil},
		{"extra spaces", "Basic   " + b64("webhookuser:s3cr3t-pa55"), nil},
		{"wrong password", "Basic " + b64("webhookuser:wrong"), verify.ErrMismatch},
		{"wrong user", "Basic " + b64("someone:s3cr3t-pa55"), verify.ErrMismatch},
		{"password prefix", "Basic " + b64("webhookuser:s3cr3t"), verify.ErrMismatch},
		{"missing", "", verify.ErrNoSignature},
		{"bearer", "Bearer " + b64("webhookuser:s3cr3t-pa55"), verify.ErrMalformed},
		{"no credentials", "Basic", verify.ErrMalformed},
		{"not base64", "Basic webhookuser:s3cr3t-pa55", verify.ErrMalformed},
		{"no colon", "Basic " + b64("webhookuser"), verify.ErrMalformed},
	}
	for _, typ := range []string{"basic-auth", "postmark"} {
		v := mustVerifier(t, typ, Options{Secrets: []string{"a:b", "webhookuser:s3cr3t-pa55"}})
		for _, tt := range tests {
			t.Run(typ+"/"+tt.name, func(t *testing.T) {
				r := &verify.Request{Header: http.Header{}}
				if tt.value != "" {
					r.Header.Set("Authorization", tt.value)
				}
				checkVerifyIndex(t, v, r, now, tt.want, 1)
			})
		}
	}
}

func TestTokenNewErrors(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		o    Options
	}{
		{name: "token without header", typ: "token", o: Options{Secrets: []string{"t"}}},
		{name: "token bad header", typ: "token", o: Options{Secrets: []string{"t"}, Header: "X Token"}},
		{name: "token algorithm", typ: "token", o: Options{Secrets: []string{"t"}, Header: "X-Token", Algorithm: "sha256"}},
		{name: "gitlab header", typ: "gitlab-token", o: Options{Secrets: []string{"t"}, Header: "X-Token"}},
		{name: "basic-auth without colon", typ: "basic-auth", o: Options{Secrets: []string{"user:pass", "userpass"}}},
		{name: "basic-auth tolerance", typ: "basic-auth", o: Options{Secrets: []string{"user:pass"}, Tolerance: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNewRefused(t, tt.typ, tt.o, verify.ErrConfig)
		})
	}
}
