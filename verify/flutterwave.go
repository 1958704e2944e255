package verify

func init() {
	register(Preset{
		Name:         "flutterwave",
		BodyUnsigned: true,
		Scheme:       "token",
		Description: "Flutterwave (v3): verif-hash equal to the secret hash set on the dashboard, compared in constant time, " +
			"body not signed",
		Headers: []string{flutterwaveHashHeader},
		// No event ID: data.id is the transaction (or transfer), which
		// several events share, so the body's SHA-256 identifies the event.
		EventType: []string{"event"},
		New:       newWith(newFlutterwave),
		Sign:      signWith(newFlutterwave),
	})
}

// flutterwaveHashHeader carries the secret hash itself, not a MAC.
const flutterwaveHashHeader = "Verif-Hash"

// newFlutterwave builds Flutterwave's secret hash scheme.
func newFlutterwave(o Options) (*tokenVerifier, error) {
	return newToken("flutterwave", flutterwaveHashHeader, "", o.Secrets)
}
