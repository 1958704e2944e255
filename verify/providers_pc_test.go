package verify_test

// The rows of the presets of the pc batch (gogs.go, clickup.go, ...).
func init() {
	addPresetCases(
		presetCase{name: "gogs", secrets: plainSecrets},
		presetCase{name: "clickup", secrets: plainSecrets},
		presetCase{name: "hookdeck", secrets: plainSecrets},
	)
}
