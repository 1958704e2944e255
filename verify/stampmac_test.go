package verify_test

import ()

// The presets of stampMAC that have no test file of their own.
func init() {
	two := [2]string{"first secret", "second secret"}
	addPresetCases(
		presetCase{name: "customerio", secrets: two},
		presetCase{name: "frameio", secrets: two},
		presetCase{name: "webflow", secrets: two},
		presetCase{name: "zendesk", secrets: two},
	)
}
