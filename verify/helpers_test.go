package verify_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// This file holds the small helpers the scheme tests share: one that runs a
// Verify and asserts its error with errors.Is, one that runs a table of
// header variations through one verifier, and one that checks the headers
// Sign sets.

// checkVerify verifies r with v at the given time and fails t unless the
// outcome is what a table row wants: valid for a nil want, else an error
// wrapping want (errors.Is). It returns the outcome for further checks.
func checkVerify(t *testing.T, v verify.Verifier, r *verify.Request, at time.Time, want error) (verify.Result, error) {
	t.Helper()
	res, err := v.Verify(r, at)
	if !wantErr(err, want) {
		t.Errorf("Verify = %+v, %v; want %v", res, err, want)
	}
	return res, err
}

// checkVerifyIndex is checkVerify for rows that also want the index of the
// matching secret when the request is valid.
func checkVerifyIndex(t *testing.T, v verify.Verifier, r *verify.Request, at time.Time, want error, index int) (verify.Result, error) {
	t.Helper()
	res, err := v.Verify(r, at)
	if !wantResult(res, err, want, index) {
		t.Errorf("Verify = %+v, %v; want index %d when valid, else %v", res, err, index, want)
	}
	return res, err
}

// headerCase is a row of a table that sends one body to one verifier under
// varying headers.
type headerCase struct {
	name   string
	header http.Header
	at     time.Time // when the request is verified; zero: now
	want   error     // nil: valid
}

// runHeaderCases runs each row as a subtest: it verifies body under the
// row's header with v and checks the outcome with checkVerify. Each of also
// then checks the row's error further.
func runHeaderCases(t *testing.T, v verify.Verifier, body string, tests []headerCase, also ...func(t *testing.T, err error)) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			if at.IsZero() {
				at = now
			}
			_, err := checkVerify(t, v, &verify.Request{Header: tt.header, Body: []byte(body)}, at, tt.want)
			for _, check := range also {
				check(t, err)
			}
		})
	}
}

// oneHeader returns a function that builds a header holding only the given
// value of the header name: the tables of schemes with one signature header
// list the values.
func oneHeader(name string) func(value string) http.Header {
	return func(value string) http.Header { return http.Header{name: {value}} }
}

// namesHeader is a further check for runHeaderCases: an error must name the
// header it is about.
func namesHeader(name string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Errorf("Verify = %v; want the header %s named", err, name)
		}
	}
}

// checkSign signs r for preset with o at the given time, and fails t unless
// each header of want has the value want gives it.
func checkSign(t *testing.T, preset string, r *verify.Request, o Options, at time.Time, want http.Header) {
	t.Helper()
	if err := verify.Sign(preset, r, o, at); err != nil {
		t.Fatalf("Sign(%s) = %v", preset, err)
	}
	for _, k := range sortedKeys(want) {
		if got := r.Header.Get(k); got != want.Get(k) {
			t.Errorf("Sign(%s) %s = %q; want %q", preset, k, got, want.Get(k))
		}
	}
}

// checkNewRefused fails t unless New refuses o for typ: no verifier, and an
// error wrapping want. It returns the error for further checks.
func checkNewRefused(t *testing.T, typ string, o Options, want error) error {
	t.Helper()
	v, err := verify.New(typ, o)
	if !errors.Is(err, want) || v != nil {
		t.Errorf("New(%s) = %v, %v; want nil, %v", typ, v, err, want)
	}
	return err
}

// checkSignRefused fails t unless Sign refuses o for typ with an error
// wrapping want. It returns the error for further checks.
func checkSignRefused(t *testing.T, typ string, o Options, want error) error {
	t.Helper()
	err := verify.Sign(typ, &verify.Request{}, o, now)
	if !errors.Is(err, want) {
		t.Errorf("Sign(%s) = %v; want %v", typ, err, want)
	}
	return err
}
