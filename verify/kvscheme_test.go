package verify_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"hookgate/verify"
)

// The presets of kvScheme that have no test file of their own.
func init() {
	two := [2]string{"first secret", "second secret"}
	addPresetCases(
		presetCase{name: "mux", secrets: two},
		presetCase{name: "persona", secrets: two},
		presetCase{name: "recurly", secrets: two},
		presetCase{name: "workos", secrets: two},
	)
}

// TestPersonaHeader covers Persona-Signature, which holds a second
// "t=,v1=" set, space-separated, while a secret rotates.
func TestPersonaHeader(t *testing.T) {
	const secret, body = "wbhsec_1", `{"data":{"id":"evt_1"}}`
	ts := strconv.FormatInt(now.Unix(), 10)
	good := macHex(secret, ts+"."+body)
	other := macHex("wbhsec_0", ts+"."+body)
	old := strconv.FormatInt(now.Unix()-600, 10)
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"one set", "t=" + ts + ",v1=" + good, nil},
		{"second set matches", "t=" + ts + ",v1=" + other + " t=" + ts + ",v1=" + good, nil},
		{"first set matches", "t=" + ts + ",v1=" + good + " t=" + ts + ",v1=" + other, nil},
		{"comma and space", "t=" + ts + ", v1=" + good, nil},
		{"unknown pair ignored", "t=" + ts + ",v0=abc,v1=" + good, nil},
		{"bad hex ignored", "t=" + ts + ",v1=zz,v1=" + good, nil},
		{"old set of the right secret", "t=" + old + ",v1=" + macHex(secret, old+"."+body), verify.ErrTooOld},
		{"empty", "", verify.ErrNoSignature},
		{"v1 before t", "v1=" + good + ",t=" + ts, verify.ErrMalformed},
		{"no t", "v1=" + good, verify.ErrMalformed},
		{"t not a number", "t=now,v1=" + good, verify.ErrMalformed},
		{"pair without =", "t=" + ts + ",v1", verify.ErrMalformed},
		{"no usable v1", "t=" + ts + ",v1=abcd", verify.ErrMalformed},
		{"five sets", strings.Repeat("t="+ts+",v1="+other+" ", 4) + "t=" + ts + ",v1=" + good, verify.ErrMalformed},
		{"other secret only", "t=" + ts + ",v1=" + other, verify.ErrMismatch},
		{"set's t is signed", "t=" + old + ",v1=" + good, verify.ErrMismatch},
	}
	v := mustVerifier(t, "persona", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{"Persona-Signature": {tt.header}}, Body: []byte(body)}
			if _, err := v.Verify(r, now); !wantErr(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}

// TestRecurlyHeader covers recurly-signature: a millisecond timestamp, then
// one signature per active secret.
func TestRecurlyHeader(t *testing.T) {
	const secret, body = "recurly new", `{"id":"n1"}`
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	good := macHex(secret, ms+"."+body)
	other := macHex("recurly old", ms+"."+body)
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"one signature", ms + "," + good, nil},
		{"second signature", ms + "," + other + "," + good, nil},
		{"spaces", ms + ", " + other + ", " + good, nil},
		{"bad signature ignored", ms + ",zz," + good, nil},
		{"empty", "", verify.ErrNoSignature},
		{"no signature", ms, verify.ErrMalformed},
		{"timestamp not a number", "x," + good, verify.ErrMalformed},
		{"signature first", good + "," + ms, verify.ErrMalformed},
		{"nine signatures", ms + strings.Repeat(","+other, 9), verify.ErrMalformed},
		{"other secret", ms + "," + other, verify.ErrMismatch},
		{"seconds", strconv.FormatInt(now.Unix(), 10) + "," + macHex(secret, strconv.FormatInt(now.Unix(), 10)+"."+body), verify.ErrTooOld},
	}
	v := mustVerifier(t, "recurly", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{"Recurly-Signature": {tt.header}}, Body: []byte(body)}
			if _, err := v.Verify(r, now); !wantErr(err, tt.want) {
				t.Errorf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
		})
	}
}
