package verify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"time"
)

// Keys for the key-pair and token presets, generated once per test binary.
// Every private key is a throwaway made here.

// kpPEM encodes der as one PEM block.
func kpPEM(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// kpPublicPEM is the PEM SPKI of pub.
func kpPublicPEM(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return kpPEM("PUBLIC KEY", der)
}

// kpPrivatePEM is the PEM PKCS#8 of k.
func kpPrivatePEM(k crypto.Signer) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	return kpPEM("PRIVATE KEY", der)
}

func kpEC() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func kpRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func kpEd25519() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// kpJWK is the public JWK of an EC P-256 key, with kid when not empty.
func kpJWK(pub *ecdsa.PublicKey, kid string) string {
	b, err := pub.Bytes()
	if err != nil {
		panic(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	s := `{"kty":"EC","crv":"P-256","x":"` + b64(b[1:33]) + `","y":"` + b64(b[33:]) + `"`
	if kid != "" {
		s += `,"kid":"` + kid + `"`
	}
	return s + "}"
}

// kpRSAJWK is the public JWK of an RSA key.
func kpRSAJWK(pub *rsa.PublicKey, kid string) string {
	b64 := base64.RawURLEncoding.EncodeToString
	return `{"kty":"RSA","kid":"` + kid + `","alg":"RS256","use":"sig","n":"` + b64(pub.N.Bytes()) +
		`","e":"` + b64(big.NewInt(int64(pub.E)).Bytes()) + `"}`
}

// Apple's marker extensions, as on the chains of Apple's test data.
var (
	kpAppleLeafOID         = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 11, 1}
	kpAppleIntermediateOID = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 2, 1}
)

// kpChain is a test App Store signing chain: a root to trust, and the
// bundle Sign takes (leaf key, leaf, intermediate, root).
type kpChain struct {
	anchor  string // PEM CERTIFICATE of the root
	bundle  string // PEM private key + leaf + intermediate + root
	root    *x509.Certificate
	leafKey *ecdsa.PrivateKey
	ders    [3][]byte // leaf, intermediate, root
}

// kpChainOpts shape a test chain.
type kpChainOpts struct {
	name       string
	notBefore  time.Time
	notAfter   time.Time
	noLeafOID  bool
	noInterOID bool
}

// kpAppleChain makes a chain like Apple's: root CA, intermediate CA with
// Apple's intermediate extension, leaf with the leaf extension.
func kpAppleChain(o kpChainOpts) kpChain {
	if o.notBefore.IsZero() {
		o.notBefore, o.notAfter = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	serial := int64(1)
	mk := func(cn string, ca bool, oid asn1.ObjectIdentifier, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		k := kpEC()
		serial++
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(serial),
			Subject:               pkix.Name{CommonName: o.name + " " + cn, Organization: []string{"hookgate test"}},
			NotBefore:             o.notBefore,
			NotAfter:              o.notAfter,
			BasicConstraintsValid: true,
			IsCA:                  ca,
			KeyUsage:              x509.KeyUsageDigitalSignature,
		}
		if ca {
			tmpl.KeyUsage |= x509.KeyUsageCertSign
		}
		if oid != nil {
			tmpl.ExtraExtensions = []pkix.Extension{{Id: oid, Value: []byte{5, 0}}}
		}
		if parent == nil {
			parent, parentKey = tmpl, k
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, parentKey)
		if err != nil {
			panic(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		return c, k, der
	}
	var leafOID, interOID asn1.ObjectIdentifier = kpAppleLeafOID, kpAppleIntermediateOID
	if o.noLeafOID {
		leafOID = nil
	}
	if o.noInterOID {
		interOID = nil
	}
	root, rootKey, rootDER := mk("root", true, nil, nil, nil)
	inter, interKey, interDER := mk("intermediate", true, interOID, root, rootKey)
	_, leafKey, leafDER := mk("leaf", false, leafOID, inter, interKey)
	return kpChain{
		anchor:  kpPEM("CERTIFICATE", rootDER),
		bundle:  kpPrivatePEM(leafKey) + kpPEM("CERTIFICATE", leafDER) + kpPEM("CERTIFICATE", interDER) + kpPEM("CERTIFICATE", rootDER),
		root:    root,
		leafKey: leafKey,
		ders:    [3][]byte{leafDER, interDER, rootDER},
	}
}

// Keys of the preset rows, shared with the scheme tests.
var (
	kpEd    = [2]ed25519.PrivateKey{kpEd25519(), kpEd25519()}
	kpEC2   = [2]*ecdsa.PrivateKey{kpEC(), kpEC()}
	kpRSA2  = [2]*rsa.PrivateKey{kpRSA(), kpRSA()}
	kpApple = [2]kpChain{kpAppleChain(kpChainOpts{name: "first"}), kpAppleChain(kpChainOpts{name: "second"})}
)

func kpHex(b []byte) string { return hex.EncodeToString(b) }
func kpB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// kpPub is the public half of an Ed25519 key.
func kpPub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// Options shared by the rows and the scheme tests.
var (
	kpGoogleOpts = Options{Audience: []string{"https://example.com/webhooks/pubsub"}, Email: "push@my-project.iam.gserviceaccount.com"}
	kpAppleOpts  = Options{BundleID: "com.example.hookgate", Environment: "Sandbox", AppAppleID: 1234}
	kpJWTOpts    = Options{Algorithms: []string{"EdDSA"}, Issuer: "https://issuer.example", Audience: []string{"hookgate"}, BodyHashClaim: "body_sha256"}
	kpEdOpts     = Options{Header: "X-Sig", Prefix: "ed25519=", Encoding: "base64", TimestampHeader: "X-Sig-Timestamp", Template: "{timestamp}.{body}"}
)

func init() {
	ecDER0, _ := x509.MarshalPKIXPublicKey(&kpEC2[0].PublicKey)
	sec1, _ := x509.MarshalECPrivateKey(kpEC2[1])
	rsa1 := kpPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(kpRSA2[1]))
	addPresetCases(
		presetCase{
			name:    "ed25519",
			opts:    kpEdOpts,
			secrets: [2]string{kpHex(kpPub(kpEd[0])), kpB64(kpPub(kpEd[1]))},
			private: map[string]string{kpHex(kpPub(kpEd[0])): kpHex(kpEd[0].Seed()), kpB64(kpPub(kpEd[1])): kpPrivatePEM(kpEd[1])},
		},
		presetCase{
			name:    "discord-ed25519",
			secrets: [2]string{kpHex(kpPub(kpEd[0])), kpHex(kpPub(kpEd[1]))},
			private: map[string]string{kpHex(kpPub(kpEd[0])): kpHex(kpEd[0].Seed()), kpHex(kpPub(kpEd[1])): kpHex(kpEd[1])},
		},
		presetCase{
			name:    "standard-webhooks-v1a",
			secrets: [2]string{"whpk_" + kpB64(kpPub(kpEd[0])), "whpk_" + kpB64(kpPub(kpEd[1]))},
			private: map[string]string{"whpk_" + kpB64(kpPub(kpEd[0])): "whsk_" + kpB64(kpEd[0].Seed()), "whpk_" + kpB64(kpPub(kpEd[1])): "whsk_" + kpB64(kpEd[1].Seed())},
		},
		presetCase{
			name:    "sendgrid-ecdsa",
			secrets: [2]string{kpB64(ecDER0), kpPublicPEM(&kpEC2[1].PublicKey)},
			private: map[string]string{kpB64(ecDER0): kpPrivatePEM(kpEC2[0]), kpPublicPEM(&kpEC2[1].PublicKey): kpB64(sec1)},
		},
		presetCase{
			name:    "netlify-jws",
			secrets: [2]string{"netlify-jws-secret-token-32bytes!", "another netlify secret"},
		},
		presetCase{
			name:    "plaid-jwt",
			secrets: [2]string{kpPublicPEM(&kpEC2[0].PublicKey), kpJWK(&kpEC2[1].PublicKey, "")},
			private: map[string]string{kpPublicPEM(&kpEC2[0].PublicKey): kpPrivatePEM(kpEC2[0]), kpJWK(&kpEC2[1].PublicKey, ""): kpPEM("EC PRIVATE KEY", sec1)},
		},
		presetCase{
			name:          "google-oidc-jwt",
			opts:          kpGoogleOpts,
			secrets:       [2]string{kpPublicPEM(&kpRSA2[0].PublicKey), kpRSAJWK(&kpRSA2[1].PublicKey, "")},
			private:       map[string]string{kpPublicPEM(&kpRSA2[0].PublicKey): kpPrivatePEM(kpRSA2[0]), kpRSAJWK(&kpRSA2[1].PublicKey, ""): rsa1},
			bodyNotSigned: true,
		},
		presetCase{
			name:    "jwt",
			opts:    kpJWTOpts,
			secrets: [2]string{kpPublicPEM(kpPub(kpEd[0])), kpPublicPEM(kpPub(kpEd[1]))},
			private: map[string]string{kpPublicPEM(kpPub(kpEd[0])): kpPrivatePEM(kpEd[0]), kpPublicPEM(kpPub(kpEd[1])): kpPrivatePEM(kpEd[1])},
		},
		presetCase{
			// Sign turns the payload into {"signedPayload":"<JWS>"}, where
			// the payload is base64url and "evt_1" cannot appear in it, so
			// the common "tampered body" case edits the payload instead.
			name:    "apple-assn-v2",
			tamper:  kpAppleTamper,
			body:    `{"notificationType":"TEST","notificationUUID":"evt_1","data":{"bundleId":"com.example.hookgate"}}`,
			opts:    kpAppleOpts,
			secrets: [2]string{kpApple[0].anchor, kpApple[1].anchor},
			private: map[string]string{kpApple[0].anchor: kpApple[0].bundle, kpApple[1].anchor: kpApple[1].bundle},
		},
	)
}
