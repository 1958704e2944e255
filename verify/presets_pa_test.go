package verify_test

// The presets of the pa batch of providers (onfido.go, paystack.go, ...) in
// the preset table; their vectors are in testdata/vectors_more_pa.json.
func init() {
	addPresetCases(
		presetCase{name: "onfido", secrets: [2]string{"wU99mE6jJ7nXOLFwZ0tJymM1lpI15pZh", "_ABC123abc123ABC123abc123ABC123_"}},
	)
}
