package verify

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

func init() {
	register(Preset{
		Name:    "sns",
		Aliases: []string{"amazon-sns", "aws-sns"},
		Scheme:  "x509-rsa",
		Description: "Amazon SNS HTTP(S) subscriptions: fields of the JSON body signed SHA1withRSA (SignatureVersion 1) or SHA256withRSA (2) " +
			"by the certificate at SigningCertURL, fetched over HTTPS from sns.<region>.amazonaws.com[.cn] only; " +
			"secrets are the topic ARNs accepted (arn:aws:sns:<region>:<account>:<topic>, topic * for any of the account's); " +
			"Sign takes the topic ARN, a newline and a PEM RSA private key",
		Headers: []string{snsTypeHeader},
		// SNS retries an HTTP delivery for at most 3600 s (a hard limit),
		// resending the message as published: Timestamp is the publish
		// time, and a retry an hour later is still genuine.
		Tolerance: time.Hour,
		EventID:   "MessageId",
		// Notification, or with auto_confirm false SubscriptionConfirmation
		// and UnsubscribeConfirmation: what the message says is up to the
		// publisher (identify.event_type can read Subject, a
		// MessageAttributes value, or a field of a JSON Message with
		// "Message|@fromstr|...").
		EventType: []string{"Type"},
		CreatedAt: "Timestamp",
		Options:   []string{"auto_confirm"},
		Handshake: "SubscriptionConfirmation: verified like a notification (signature and topic), then confirmed by a GET of its SubscribeURL " +
			"(an https SNS host) and answered 200; UnsubscribeConfirmation answered 200; with auto_confirm false both are forwarded as events instead",
		// The signature covers the values of a few keys (Message, MessageId,
		// Subject, Timestamp, TopicArn, Type; SubscribeURL and Token for the
		// confirmations), not the body's bytes: MessageAttributes,
		// UnsubscribeURL, SequenceNumber and anything else in the body are
		// not signed. MessageId is, and is read once (a body that holds
		// it twice is refused).
		BodyUnsigned:   true,
		IDSourceSigned: true,
		acts:           true,
		New:            newWith(newSNS),
		Sign:           signSNS,
	})
}

const (
	snsTypeHeader  = "X-Amz-Sns-Message-Type"
	snsNotify      = "Notification"
	snsSubscribe   = "SubscriptionConfirmation"
	snsUnsubscribe = "UnsubscribeConfirmation"
	snsMaxConfirm  = 64 << 10 // the most read of the answer to a SubscribeURL GET
)

// snsHost is the host of an SNS endpoint: sns.<region>.amazonaws.com, and
// .amazonaws.com.cn in China (GovCloud regions are regions:
// sns.us-gov-west-1.amazonaws.com). The region is matched as a region
// name (us-east-1, ap-southeast-2, us-gov-west-1), stricter than AWS's
// validators' [a-z0-9-]{3,}: that also takes sns.s3-us-west-2.amazonaws.com,
// an S3 bucket named sns on a legacy endpoint, whose owner could serve a
// certificate there under Amazon's TLS certificate.
var snsHost = regexp.MustCompile(`^sns\.[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}\.amazonaws\.com(\.cn)?$`)

// snsCerts is where SNS signing certificates are fetched from: a .pem file
// at the root of an SNS host (SimpleNotificationService-<hex>.pem).
var snsCerts = certPolicy{
	provider: "Amazon SNS",
	host:     snsHost.MatchString,
	path: func(p string) bool {
		return strings.HasSuffix(p, ".pem") && strings.Count(p, "/") == 1 && len(p) > len("/.pem")
	},
}

// snsTopic is one configured topic ARN: arn:<partition>:sns:<region>:
// <account>:<topic>, the topic "*" meaning any topic of that account in
// that region.
type snsTopic struct {
	prefix string // the ARN up to the topic, "arn:aws:sns:us-east-1:123456789012:"
	topic  string // the topic name, or "*"
}

// parseSNSTopic parses a configured topic ARN. Its errors do not quote it.
func parseSNSTopic(s string) (snsTopic, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "sns" || parts[3] == "" {
		return snsTopic{}, errors.New("is not a topic ARN arn:<partition>:sns:<region>:<account>:<topic>")
	}
	if len(parts[4]) != 12 || strings.Trim(parts[4], "0123456789") != "" {
		return snsTopic{}, errors.New("is a topic ARN whose account is not 12 digits")
	}
	if t := parts[5]; t != "*" && (t == "" || len(t) > 256 || strings.ContainsAny(t, "*?")) {
		return snsTopic{}, errors.New("is a topic ARN whose topic is not a name or *")
	}
	return snsTopic{prefix: strings.Join(parts[:5], ":") + ":", topic: parts[5]}, nil
}

func (t snsTopic) match(arn string) bool {
	name, ok := strings.CutPrefix(arn, t.prefix)
	return ok && name != "" && !strings.Contains(name, ":") && (t.topic == "*" || name == t.topic)
}

// snsVerifier checks Amazon SNS messages: the RSA signature of the
// message's keys by the certificate at its SigningCertURL, and that its
// TopicArn is a configured one. SNS signs every topic's messages with the
// same certificates, so the topic is what says a message is for this
// endpoint: anyone can subscribe the endpoint to a topic of their own. A
// SubscriptionConfirmation is confirmed (a GET of its SubscribeURL) unless
// auto_confirm is false. It is safe for concurrent use.
type snsVerifier struct {
	topics  []snsTopic
	tol     time.Duration
	confirm bool
	client  *http.Client
}

var _ Verifier = (*snsVerifier)(nil)

func newSNS(o Options) (*snsVerifier, error) {
	topics, err := parseSecrets("sns", o.Secrets, parseSNSTopic)
	if err != nil {
		return nil, err
	}
	v := &snsVerifier{topics: topics, tol: o.Tolerance, confirm: true, client: certClient(o)}
	if o.AutoConfirm != nil {
		v.confirm = *o.AutoConfirm
	}
	return v, nil
}

// snsMessage is what an SNS message's keys say. A key absent (or null) is
// nil.
type snsMessage struct {
	Type, MessageID, TopicArn, Subject, Message, Timestamp *string
	SubscribeURL, Token                                    *string
	SignatureVersion, Signature, SigningCertURL            *string
}

// fields maps each key read to its place in m.
func (m *snsMessage) fields() map[string]**string {
	return map[string]**string{
		"Type": &m.Type, "MessageId": &m.MessageID, "TopicArn": &m.TopicArn, "Subject": &m.Subject,
		"Message": &m.Message, "Timestamp": &m.Timestamp, "SubscribeURL": &m.SubscribeURL, "Token": &m.Token,
		"SignatureVersion": &m.SignatureVersion, "Signature": &m.Signature, "SigningCertURL": &m.SigningCertURL,
	}
}

// parseSNSMessage reads the keys of an SNS message from a JSON body. Each
// must be a string or null, and appear once: what is verified must be what
// the gateway and the consumers read.
func parseSNSMessage(body []byte) (*snsMessage, error) {
	m := &snsMessage{}
	fields := m.fields()
	r := &jsonReader{b: body}
	err := r.object(func(key []byte) (bool, error) {
		dst, ok := fields[string(key)]
		if !ok {
			return false, nil
		}
		switch r.peek() {
		case '"':
			s, err := r.scalar()
			if err != nil {
				return true, err
			}
			*dst = &s
		case 'n':
			if _, err := r.scalar(); err != nil {
				return true, err
			}
		default:
			return true, fmt.Errorf("key %s is not a string", key)
		}
		return true, nil
	})
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return nil, fmt.Errorf("body: not an SNS message: %v: %w", err, ErrMalformed)
	}
	return m, nil
}

// stringToSign is the content SNS signs: for each key of the message's
// type that the message holds, in this order, the key, a newline, the
// value, a newline. AWS documents the keys: Message, MessageId, Subject
// (when present), Timestamp, TopicArn, Type for a notification; Message,
// MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type for the
// confirmations.
func (m *snsMessage) stringToSign() []byte {
	type kv struct {
		k string
		v *string
	}
	var kvs []kv
	if *m.Type == snsNotify {
		kvs = []kv{{"Message", m.Message}, {"MessageId", m.MessageID}, {"Subject", m.Subject}, {"Timestamp", m.Timestamp}, {"TopicArn", m.TopicArn}, {"Type", m.Type}}
	} else {
		kvs = []kv{{"Message", m.Message}, {"MessageId", m.MessageID}, {"SubscribeURL", m.SubscribeURL}, {"Timestamp", m.Timestamp}, {"Token", m.Token}, {"TopicArn", m.TopicArn}, {"Type", m.Type}}
	}
	var b []byte
	for _, p := range kvs {
		if p.v != nil {
			b = append(append(append(append(b, p.k...), '\n'), *p.v...), '\n')
		}
	}
	return b
}

// required checks that the keys the message's type needs are there:
// missing signature keys are ErrNoSignature, any other ErrMalformed.
func (m *snsMessage) required() error {
	if m.Type == nil {
		return fmt.Errorf("body key Type: %w", ErrMalformed)
	}
	switch *m.Type {
	case snsNotify, snsSubscribe, snsUnsubscribe:
	default:
		return fmt.Errorf("body key Type: %q is not Notification, SubscriptionConfirmation or UnsubscribeConfirmation: %w", truncate(*m.Type), ErrMalformed)
	}
	for _, k := range []struct {
		name string
		v    *string
		want error
	}{
		{"Signature", m.Signature, ErrNoSignature}, {"SignatureVersion", m.SignatureVersion, ErrNoSignature},
		{"SigningCertURL", m.SigningCertURL, ErrNoSignature},
		{"MessageId", m.MessageID, ErrMalformed}, {"TopicArn", m.TopicArn, ErrMalformed},
		{"Message", m.Message, ErrMalformed}, {"Timestamp", m.Timestamp, ErrMalformed},
	} {
		if k.v == nil || *k.v == "" && k.name != "Message" {
			return fmt.Errorf("body key %s: %w", k.name, k.want)
		}
	}
	if *m.Type != snsNotify && (m.SubscribeURL == nil || m.Token == nil || *m.SubscribeURL == "" || *m.Token == "") {
		return fmt.Errorf("body keys SubscribeURL and Token: a %s needs both: %w", *m.Type, ErrMalformed)
	}
	return nil
}

// Verify implements Verifier. The topic and the certificate URL are
// checked before anything is fetched; a message whose topic is not
// configured is ErrMismatch, a certificate URL that is not an SNS host's
// ErrMalformed, a certificate that cannot be fetched ErrKeysUnavailable.
func (v *snsVerifier) Verify(r *Request, now time.Time) (Result, error) {
	m, err := parseSNSMessage(r.Body)
	if err != nil {
		return Result{}, err
	}
	if err := m.required(); err != nil {
		return Result{}, err
	}
	if h := r.Header.Get(snsTypeHeader); h != "" && h != *m.Type {
		return Result{}, fmt.Errorf("header %s: %q, but the body's Type is %s: %w", snsTypeHeader, truncate(h), *m.Type, ErrMalformed)
	}
	idx := -1
	for i, t := range v.topics {
		if t.match(*m.TopicArn) {
			idx = i
			break
		}
	}
	if idx < 0 {
		// Not quoted: it may hold a configured ARN as a prefix.
		return Result{}, fmt.Errorf("body key TopicArn: not a configured topic (of %d): %w", len(v.topics), ErrMismatch)
	}
	var hash crypto.Hash
	switch *m.SignatureVersion {
	case "1":
		hash = crypto.SHA1
	case "2":
		hash = crypto.SHA256
	default:
		return Result{}, fmt.Errorf("body key SignatureVersion: %q is not 1 or 2: %w", truncate(*m.SignatureVersion), ErrMalformed)
	}
	sig, err := base64.StdEncoding.DecodeString(*m.Signature)
	if err != nil || len(sig) == 0 {
		return Result{}, fmt.Errorf("body key Signature: not base64: %w", ErrMalformed)
	}
	at, err := stampRFC3339.read("body key", "Timestamp", *m.Timestamp)
	if err != nil {
		return Result{}, err
	}
	certURL, err := snsCerts.check("body key SigningCertURL", *m.SigningCertURL)
	if err != nil {
		return Result{}, err
	}
	var confirmURL string
	if *m.Type == snsSubscribe && v.confirm {
		if confirmURL, err = checkSubscribeURL(m); err != nil {
			return Result{}, err
		}
	}
	key, err := certs.key(v.client, certURL, now)
	if err != nil {
		return Result{}, err
	}
	var digest []byte
	if hash == crypto.SHA1 {
		s := sha1.Sum(m.stringToSign())
		digest = s[:]
	} else {
		s := sha256.Sum256(m.stringToSign())
		digest = s[:]
	}
	if rsa.VerifyPKCS1v15(key, hash, digest, sig) != nil {
		return Result{}, fmt.Errorf("body key Signature: does not verify with the certificate at SigningCertURL: %w", ErrMismatch)
	}
	if err := checkWindow("body key", "Timestamp", *m.Timestamp, at, now, v.tol); err != nil {
		return Result{}, err
	}
	res := Result{SecretIndex: idx}
	if !v.confirm || *m.Type == snsNotify {
		return res, nil
	}
	answer := map[string]string{"topic": *m.TopicArn}
	if *m.Type == snsSubscribe {
		answer["status"] = "subscription confirmed"
		res.then = func() error { return snsConfirmOnce(v.client, confirmURL, now) }
	} else {
		answer["status"] = "unsubscribe acknowledged"
	}
	body, _ := json.Marshal(answer)
	res.Response = &Response{ContentType: "application/json", Body: body}
	return res, nil
}

// checkSubscribeURL returns the SubscribeURL of a confirmation when it is
// what SNS sends: https on an SNS host, path /, and a query of
// Action=ConfirmSubscription with the message's TopicArn and Token. It is
// signed, so this only guards against a certificate misused.
func checkSubscribeURL(m *snsMessage) (string, error) {
	raw := *m.SubscribeURL
	bad := func(why string) (string, error) {
		// Not quoted: it holds the TopicArn, a configured secret.
		return "", fmt.Errorf("body key SubscribeURL: %s: %w", why, ErrMalformed)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "":
		return bad("not a URL")
	case u.Scheme != "https" || u.User != nil || u.Fragment != "" || u.Port() != "" && u.Port() != "443":
		return bad("not https to an SNS host without user info, port or fragment")
	case !snsHost.MatchString(strings.ToLower(u.Hostname())):
		return bad("not an SNS host")
	case u.Path != "" && u.Path != "/":
		return bad("path is not /")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || q.Get("Action") != "ConfirmSubscription" || q.Get("TopicArn") != *m.TopicArn || q.Get("Token") != *m.Token {
		return bad("query is not Action=ConfirmSubscription with the message's TopicArn and Token")
	}
	return raw, nil
}

// snsConfirmed remembers the SubscribeURLs confirmed in the last hour (the
// replay window of a confirmation), so that a confirmation sent again,
// by SNS or by whoever captured it, is answered without another GET.
var snsConfirmed = struct {
	sync.Mutex
	at map[string]time.Time
}{at: map[string]time.Time{}}

// snsConfirmedMax bounds snsConfirmed; past it the entries older than the
// window go, then all (a confirmation answered twice is harmless).
const snsConfirmedMax = 1024

// snsConfirmOnce is snsConfirm, skipped when u was confirmed less than an
// hour before now.
func snsConfirmOnce(client *http.Client, u string, now time.Time) error {
	c := &snsConfirmed
	c.Lock()
	at, ok := c.at[u]
	c.Unlock()
	if ok && now.Sub(at) < time.Hour && now.Sub(at) >= 0 {
		return nil
	}
	if err := snsConfirm(client, u); err != nil {
		return err
	}
	c.Lock()
	defer c.Unlock()
	if len(c.at) >= snsConfirmedMax {
		for k, t := range c.at {
			if now.Sub(t) >= time.Hour || now.Sub(t) < 0 {
				delete(c.at, k)
			}
		}
		if len(c.at) >= snsConfirmedMax {
			clear(c.at)
		}
	}
	c.at[u] = now
	return nil
}

// snsConfirm confirms a subscription: a GET of its SubscribeURL, which must
// answer 200. A failure wraps ErrKeysUnavailable: the confirmation is
// answered 503, and SNS sends it again.
func snsConfirm(client *http.Client, u string) error {
	if _, err := httpGet(client, u, snsMaxConfirm); err != nil {
		return fmt.Errorf("confirming the SNS subscription: GET SubscribeURL: %v: %w", err, ErrKeysUnavailable)
	}
	return nil
}

// snsCertURL is the certificate URL Sign names for key k in the region of
// topic: where the caller must serve k's certificate.
func snsCertURL(topic string, k *rsa.PublicKey) string {
	region := "us-east-1"
	if parts := strings.Split(topic, ":"); len(parts) == 6 && parts[3] != "" {
		region = parts[3]
	}
	return "https://sns." + region + ".amazonaws.com/SimpleNotificationService-" + keyFingerprint(k) + ".pem"
}

// signSNS signs r's body as SNS would, with SignatureVersion 2 and the key
// and topic of o.Secrets[0] (see signingKey), at time now. A body that is
// an SNS message (a JSON object with a Type) keeps its Type, MessageId,
// Subject, Message, SubscribeURL, Token and SignatureVersion; any other
// body becomes the Message of a new Notification. SigningCertURL is
// https://sns.<region>.amazonaws.com/SimpleNotificationService-<key
// fingerprint>.pem, where the verifier fetches the key's certificate.
func signSNS(r *Request, o Options, now time.Time) error {
	topic, k, err := signingKey("sns", o.Secrets[0])
	if err != nil {
		return err
	}
	if _, err := parseSNSTopic(topic); err != nil {
		return secretErr("sns", 0, "the first line %v", err)
	}
	m := &snsMessage{}
	str := func(s string) *string { return &s }
	var tmpl snsMessage
	if b := strings.TrimSpace(string(r.Body)); strings.HasPrefix(b, "{") {
		if t, err := parseSNSMessage(r.Body); err == nil && t.Type != nil {
			tmpl = *t
		}
	}
	if tmpl.Type != nil {
		m.Type, m.MessageID, m.Subject, m.Message, m.SubscribeURL, m.Token = tmpl.Type, tmpl.MessageID, tmpl.Subject, tmpl.Message, tmpl.SubscribeURL, tmpl.Token
		m.SignatureVersion = tmpl.SignatureVersion
	} else {
		m.Type, m.Message = str(snsNotify), str(string(r.Body))
	}
	if m.Message == nil {
		m.Message = str("")
	}
	if m.MessageID == nil {
		id := rand.Text()
		m.MessageID = str(strings.ToLower(id[:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:26]))
	}
	if m.SignatureVersion == nil || *m.SignatureVersion != "1" {
		m.SignatureVersion = str("2")
	}
	m.TopicArn = &topic
	m.Timestamp = str(now.UTC().Format("2006-01-02T15:04:05.000Z"))
	m.SigningCertURL = str(snsCertURL(topic, &k.PublicKey))
	hash, sum := crypto.SHA256, sha256.Sum256(m.stringToSign())
	digest := sum[:]
	if *m.SignatureVersion == "1" {
		s1 := sha1.Sum(m.stringToSign())
		hash, digest = crypto.SHA1, s1[:]
	}
	sig, err := rsa.SignPKCS1v15(nil, k, hash, digest)
	if err != nil {
		return fmt.Errorf("sns: %v: %w", err, ErrConfig)
	}
	m.Signature = str(base64.StdEncoding.EncodeToString(sig))
	r.Body = m.encode()
	return nil
}

// encode writes m as SNS lays a message out.
func (m *snsMessage) encode() []byte {
	b := []byte{'{'}
	for _, p := range []struct {
		k string
		v *string
	}{
		{"Type", m.Type}, {"MessageId", m.MessageID}, {"Token", m.Token}, {"TopicArn", m.TopicArn},
		{"Subject", m.Subject}, {"Message", m.Message}, {"SubscribeURL", m.SubscribeURL}, {"Timestamp", m.Timestamp},
		{"SignatureVersion", m.SignatureVersion}, {"Signature", m.Signature}, {"SigningCertURL", m.SigningCertURL},
	} {
		if p.v == nil {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(p.k)
		v, _ := json.Marshal(*p.v)
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}')
}
