package verify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// adyenKey is the HMAC key of Adyen's SDK tests, as the Customer Area shows
// it: hex.
const adyenKey = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"

// adyenItem returns a NotificationRequestItem with the fields of Adyen's
// SDK test (adyen-python-api-library test/UtilTest.py), value and
// hmacSignature substituted.
func adyenItem(value, sig string) string {
	return `{"NotificationRequestItem":{"additionalData":{"hmacSignature":"` + sig + `"},"amount":{"currency":"EUR","value":` + value +
		`},"eventCode":"AUTHORISATION","eventDate":"2019-05-06T17:15:34.121+02:00","merchantAccountCode":"TestMerchant",` +
		`"merchantReference":"TestPayment-1407325143704","operations":["CANCEL","CAPTURE","REFUND"],"paymentMethod":"visa",` +
		`"pspReference":"7914073381342284","success":"true"}}`
}

// TestAdyenNotification covers the per-item signature of standard
// notifications around the official vector adyen-notification-sdk-valid.
func TestAdyenNotification(t *testing.T) {
	const good = "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="
	key, _ := hex.DecodeString(adyenKey)
	// sig signs the test item's fields with value v.
	sig := func(v string) string {
		msg := "7914073381342284::TestMerchant:TestPayment-1407325143704:" + v + ":EUR:AUTHORISATION:true"
		return base64.StdEncoding.EncodeToString(hmacOf(sha256.New, string(key), msg))
	}
	notif := func(items ...string) string {
		return `{"live":"false","notificationItems":[` + strings.Join(items, ",") + `]}`
	}
	tests := []struct {
		name string
		body string
		want error // nil: valid
	}{
		{"vector", notif(adyenItem("1130", good)), nil},
		{"two items", notif(adyenItem("1130", good), adyenItem("1131", sig("1131"))), nil},
		{"unpadded signature", notif(adyenItem("1130", strings.TrimRight(good, "="))), nil},
		{"unsigned fields changed", notif(strings.Replace(adyenItem("1130", good), "visa", "mc", 1)), nil},
		{"value changed", notif(adyenItem("1131", good)), verify.ErrMismatch},
		{"value as a string", notif(adyenItem(`"1130"`, good)), nil},
		{"value with a fraction", notif(adyenItem("1130.0", good)), verify.ErrMismatch},
		{"second item forged", notif(adyenItem("1130", good), adyenItem("1131", good)), verify.ErrMismatch},
		{"success changed", notif(strings.Replace(adyenItem("1130", good), `"success":"true"`, `"success":"false"`, 1)), verify.ErrMismatch},
		{"success as a boolean", notif(strings.Replace(adyenItem("1130", good), `"success":"true"`, `"success":true`, 1)), nil},
		{"original reference added", notif(strings.Replace(adyenItem("1130", good), `"success"`, `"originalReference":"x","success"`, 1)), verify.ErrMismatch},
		{"no signature", notif(strings.Replace(adyenItem("1130", good), `"hmacSignature":"`+good+`"`, `"other":"x"`, 1)), verify.ErrNoSignature},
		{"empty signature", notif(adyenItem("1130", "")), verify.ErrNoSignature},
		{"no additionalData", notif(`{"NotificationRequestItem":{"pspReference":"1"}}`), verify.ErrNoSignature},
		{"signature not base64", notif(adyenItem("1130", "not base64!")), verify.ErrMalformed},
		{"no items", notif(), verify.ErrNoSignature},
		{"no notificationItems", `{"live":"false"}`, verify.ErrMalformed},
		{"items not an array", `{"notificationItems":{}}`, verify.ErrMalformed},
		{"eventCode twice", notif(strings.Replace(adyenItem("1130", good), `"eventCode"`, `"eventCode":"REFUND","eventCode"`, 1)), verify.ErrMalformed},
		{"item twice", notif(strings.Replace(adyenItem("1130", good), `}}`, `},"NotificationRequestItem":{}}`, 1)), verify.ErrMalformed},
		{"not JSON", "[accepted]", verify.ErrMalformed},
	}
	for _, typ := range []string{"adyen-notification-hmac", "adyen"} {
		v := mustVerifier(t, typ, Options{Secrets: []string{strings.Repeat("00", 32), adyenKey}})
		for _, tt := range tests {
			t.Run(typ+"/"+tt.name, func(t *testing.T) {
				checkVerifyIndex(t, v, &verify.Request{Body: []byte(tt.body)}, now, tt.want, 1)
			})
		}
	}
}

// TestAdyenNotificationSign checks that Sign reproduces the official
// signature in every item.
func TestAdyenNotificationSign(t *testing.T) {
	r := &verify.Request{Body: []byte(`{"live":"false","notificationItems":[` + adyenItem("1130", "") + `,` +
		strings.Replace(adyenItem("1130", ""), `"additionalData":{"hmacSignature":""},`, "", 1) + `]}`)}
	if err := verify.Sign("adyen", r, Options{Secrets: []string{adyenKey}}, now); err != nil {
		t.Fatal(err)
	}
	var n struct {
		NotificationItems []struct {
			NotificationRequestItem struct {
				AdditionalData map[string]string `json:"additionalData"`
			}
		} `json:"notificationItems"`
	}
	if err := json.Unmarshal(r.Body, &n); err != nil || len(n.NotificationItems) != 2 {
		t.Fatalf("Sign(adyen) body = %s, %v; want two items", r.Body, err)
	}
	for i, it := range n.NotificationItems {
		if got, want := it.NotificationRequestItem.AdditionalData["hmacSignature"], "coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="; got != want {
			t.Errorf("Sign(adyen) item %d hmacSignature = %q; want %q", i, got, want)
		}
	}
	for _, body := range []string{"", "{}", `{"notificationItems":[]}`, `{"notificationItems":[{}]}`} {
		if err := verify.Sign("adyen", &verify.Request{Body: []byte(body)}, Options{Secrets: []string{adyenKey}}, now); err == nil {
			t.Errorf("Sign(adyen, %s) = nil; want an error", body)
		}
	}
}

// TestAdyenPayload checks the HmacSignature header against the official
// vector adyen-payload-sdk-valid, whose body starts with a newline and
// indentation.
func TestAdyenPayload(t *testing.T) {
	const body = "\n        {\n            \"type\": \"merchant.created\",\n            \"environment\": \"test\",\n            \"createdAt\": \"01-01-2024\",\n            \"data\": {\n                \"capabilities\": {\n                    \"sendToTransferInstrument\": {\n                        \"requested\": true,\n                        \"requestedLevel\": \"notApplicable\"\n                    }\n                },\n                \"companyId\": \"YOUR_COMPANY_ID\",\n                \"merchantId\": \"YOUR_MERCHANT_ACCOUNT\",\n                \"status\": \"PreActive\"\n            }\n        }\n        "
	tests := []struct {
		name, sig, body string
		want            error // nil: valid
	}{
		{name: "vector", sig: "fX74xUdztFmaXAn3IusMFFUBUSkLmDQUK0tm8xL6ZTU=", body: body},
		{name: "trimmed body", sig: "fX74xUdztFmaXAn3IusMFFUBUSkLmDQUK0tm8xL6ZTU=", body: strings.TrimSpace(body), want: verify.ErrMismatch},
		{name: "hex signature", sig: "7d7ef8c54773b4599a5c09f722eb0c14550151290b9834142b4b66f312fa6535", body: body, want: verify.ErrMalformed},
		{name: "missing", body: body, want: verify.ErrNoSignature},
	}
	v := mustVerifier(t, "adyen-payload-hmac", Options{Secrets: []string{adyenKey}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Header: http.Header{}, Body: []byte(tt.body)}
			if tt.sig != "" {
				r.Header.Set("HmacSignature", tt.sig)
			}
			checkVerify(t, v, r, now, tt.want)
		})
	}
	for _, typ := range []string{"adyen-payload-hmac", "adyen-notification-hmac"} {
		if _, err := verify.New(typ, Options{Secrets: []string{"not-hex-" + adyenKey}}); !errors.Is(err, verify.ErrConfig) || strings.Contains(err.Error(), adyenKey) {
			t.Errorf("New(%s, key not hex) = %v; want %v without the key", typ, err, verify.ErrConfig)
		}
	}
}
