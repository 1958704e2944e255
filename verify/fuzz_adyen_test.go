package verify

import (
	"net/http"
	"testing"
	"time"
)

// FuzzParseAdyen fuzzes the notification parser of adyen-notification-hmac.
func FuzzParseAdyen(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		if v.Scheme == "adyen-notification-hmac" {
			f.Add([]byte(v.Body))
		}
	}
	for _, s := range []string{"", "{}", `{"notificationItems":[]}`, `{"notificationItems":[{}]}`, `{"notificationItems":[1]}`,
		`{"notificationItems":[{"NotificationRequestItem":{"amount":{"value":1,"value":2}}}]}`, "[accepted]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		parseAdyen(body)
	})
}

// FuzzVerifyAdyenNotification fuzzes the body, which carries the
// signatures; fuzzVerify cannot sign its non-notification body.
func FuzzVerifyAdyenNotification(f *testing.F) {
	var secrets []string
	for _, v := range mustLoadVectors(f) {
		if v.Scheme == "adyen-notification-hmac" {
			f.Add([]byte(v.Body))
			secrets = v.secrets(f)
		}
	}
	v, err := New("adyen-notification-hmac", Options{Secrets: secrets})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := v.Verify(&Request{Method: "POST", Header: http.Header{}, Body: body}, time.Unix(1700000000, 0))
		switch {
		case err == nil && res.SecretIndex != 0:
			t.Errorf("Verify(adyen-notification-hmac) = index %d; want 0", res.SecretIndex)
		case err != nil && !isVerifyError(err):
			t.Errorf("Verify(adyen-notification-hmac) = %v; want one of the Verify sentinel errors", err)
		}
	})
}

func FuzzVerifyAdyenPayload(f *testing.F) {
	fuzzVerify(f, "adyen-payload-hmac", "adyen-payload-hmac", Options{}, "HmacSignature")
}
