package verify_test

// The rows of the presets of the pc batch (gogs.go, clickup.go, ...).
func init() {
	addPresetCases(
		presetCase{name: "gogs", secrets: plainSecrets},
		presetCase{name: "clickup", secrets: plainSecrets},
		presetCase{name: "hookdeck", secrets: plainSecrets},
		presetCase{name: "surveymonkey", secrets: [2]string{"sm_client_id_1&sm_api_secret_1", "sm_client_id_2&sm_api_secret_2"}},
		presetCase{name: "sanity", secrets: plainSecrets},
		presetCase{name: "contentful", secrets: plainSecrets},
		presetCase{name: "vonage", secrets: plainSecrets},
		presetCase{name: "plivo", secrets: plainSecrets},
	)
}
