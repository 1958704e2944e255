package verify_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"strings"
)

// The presets of the rsaetc batch (wise.go, braintree.go, jira.go,
// atlassian_connect.go, klaviyo.go) in the preset table; their vectors are
// in testdata/vectors_more_rsaetc.json.
func init() {
	rsa0 := kpPrivatePEM(kpRSA2[0])
	rsa1 := kpPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(kpRSA2[1]))
	addPresetCases(
		presetCase{
			name:    "wise",
			secrets: [2]string{kpPublicPEM(&kpRSA2[0].PublicKey), kpRSAJWK(&kpRSA2[1].PublicKey, "")},
			private: map[string]string{kpPublicPEM(&kpRSA2[0].PublicKey): rsa0, kpRSAJWK(&kpRSA2[1].PublicKey, ""): rsa1},
		},
		presetCase{name: "jira", secrets: plainSecrets},
		presetCase{name: "atlassian-connect", secrets: [2]string{"s0m3-sh@r3d-s3cr37", "another shared secret"}, bodyNotSigned: true},
		presetCase{name: "braintree", secrets: [2]string{"integration_public_key:integration_private_key", "second_public_key:second_private_key"}, tamper: braintreeTamper},
	)
}

// braintreeTamper changes "evt_1" to "evt_2" in the notification a
// braintree form body carries, keeping its signature.
func braintreeTamper(body []byte) []byte {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		panic(err)
	}
	x, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(form.Get("bt_payload"), "\n", ""))
	if err != nil {
		panic(err)
	}
	form.Set("bt_payload", base64.StdEncoding.EncodeToString(bytes.Replace(x, []byte("evt_1"), []byte("evt_2"), 1))+"\n")
	return []byte(form.Encode())
}
