package verify_test

import (
	"crypto/x509"
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
	)
}
