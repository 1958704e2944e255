package verify_test

// figmaBody is the body the common tests sign for figma: Sign writes the
// passcode into a JSON object.
const figmaBody = `{"event_type":"FILE_UPDATE","file_key":"evt_1","timestamp":"2023-11-14T22:13:20Z","webhook_id":"1234"}`

// The presets of the pa batch of providers (onfido.go, paystack.go, ...) in
// the preset table; their vectors are in testdata/vectors_more_pa.json.
func init() {
	addPresetCases(
		presetCase{name: "onfido", secrets: [2]string{"wU99mE6jJ7nXOLFwZ0tJymM1lpI15pZh", "_ABC123abc123ABC123abc123ABC123_"}},
		presetCase{name: "paystack", secrets: [2]string{"sk_test_4f2b9c1e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c", "sk_live_0123456789abcdef0123456789abcdef01234567"}},
		presetCase{name: "woocommerce", secrets: plainSecrets},
		presetCase{name: "patreon", secrets: plainSecrets},
		presetCase{name: "flutterwave", secrets: [2]string{"flw_secret_hash_4b7Q9zX2", "another secret hash"}, bodyNotSigned: true},
		presetCase{name: "figma", secrets: [2]string{"figma-passcode-7Hk2Qw9Zr", "another passcode"}, bodyNotSigned: true, body: figmaBody},
		presetCase{name: "mercadopago", secrets: [2]string{"your_secret_key_here", "another secret signature"}, bodyNotSigned: true},
	)
}
