package verify

import "testing"

func FuzzVerifyBox(f *testing.F) {
	fuzzVerifyLines(f, "box", "box", Options{}, boxPrimary, boxSecondary, boxTimestamp, boxVersion, boxAlgorithm)
}
