package verify_test

// The preset table rows of the batch whose vectors are in
// testdata/vectors_more_pb.json.
func init() {
	addPresetCases(
		presetCase{name: "buildkite", secrets: [2]string{"309c9c842g8565adecpd7469x6005989", "another webhook token"}},
		presetCase{name: "circleci", secrets: [2]string{"circleci_webhook_secret_42", "another secret token"}},
		presetCase{name: "heroku", secrets: [2]string{"heroku_webhook_secret_9c1f", "another heroku secret"}},
		presetCase{
			name: "mandrill", secrets: [2]string{"KfFuThPttL_KoUyDndHW3A", "another webhook key"},
			// Mandrill posts a form; the events' _id is the tampered field.
			body: "mandrill_events=%5B%7B%22event%22%3A%22send%22%2C%22_id%22%3A%22evt_1%22%7D%5D",
		},
		presetCase{name: "notion", secrets: [2]string{"secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl", "secret_another_verification_token"}},
		presetCase{name: "segment", secrets: [2]string{"segment_shared_secret_5e1", "another shared secret"}},
	)
}
