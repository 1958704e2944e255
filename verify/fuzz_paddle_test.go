package verify

import (
	"strings"
	"testing"
)

func FuzzParsePaddle(f *testing.F) {
	seedHeader(f, "Paddle-Signature",
		"", ";", "ts=", "ts=1", "h1=", "ts=1;h1=", "ts=1;h1=00", "ts==", "ts=1;ts=2", "=;=", " ts = 1 ; h1 = zz ",
		"ts=1,h1="+strings.Repeat("a", 64), "ts=99999999999999999999;h1="+strings.Repeat("a", 64))
	f.Fuzz(func(t *testing.T, s string) {
		fuzzParseKV(t, &paddleScheme, s)
	})
}

func FuzzVerifyPaddle(f *testing.F) {
	fuzzVerify(f, "paddle", "paddle", Options{}, "Paddle-Signature")
}
