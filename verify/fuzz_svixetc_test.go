package verify

import (
	"net/http"
	"testing"
	"time"
)

func FuzzVerifyMonday(f *testing.F) { fuzzVerifyMore(f, "monday", "Authorization", "Content-Type") }

// FuzzVerifyDropboxSign fuzzes the Content-Type and the body of Dropbox
// Sign's callbacks (the multipart, url-encoded and JSON readings of the
// event), seeded with its vectors: Verify must not panic, and must return
// a valid SecretIndex or one of its sentinel errors; a Payload must be
// part of the body.
func FuzzVerifyDropboxSign(f *testing.F) {
	var o Options
	for _, v := range mustLoadMoreVectors(f) {
		if v.Scheme != "dropbox-sign" {
			continue
		}
		addSecrets(&o, v.options(f).Secrets)
		r := v.request()
		f.Add(r.Header.Get("Content-Type"), r.Body, v.Now)
	}
	ver, err := New("dropbox-sign", o)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte, unix int64) {
		r := &Request{Method: http.MethodPost, Header: http.Header{"Content-Type": {ct}}, Body: body}
		res, err := ver.Verify(r, time.Unix(unix, 0))
		checkFuzzVerify(t, "dropbox-sign", len(o.Secrets), res, err)
		if err == nil && len(res.Payload) > len(body) {
			t.Errorf("Verify payload is %d bytes, the body %d", len(res.Payload), len(body))
		}
	})
}
