package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/hookgate/hookgate/forward"
)

// This file holds who may use NATS: the users of the embedded server
// (nats.users) and how clients log in to a NATS server (nats.url's keys,
// `hookgate tail`).

// NATSUser is an account of the embedded server for a service that reads
// the stream.
type NATSUser struct {
	User     string `yaml:"user"`
	Password string `yaml:"password"`
	// Subscribe lists the subjects the user may read (default:
	// nats.subjects), each inside nats.subjects.
	Subscribe []string `yaml:"subscribe"`
}

// NATSAuth is how a client logs in to a NATS server, with at most one of
// user and password, token, nkey_file (an NKey seed) and creds_file (a JWT
// and its seed), and how it checks the server's certificate.
type NATSAuth struct {
	User      string  `yaml:"user"`
	Password  string  `yaml:"password"`
	Token     string  `yaml:"token"`
	NKeyFile  string  `yaml:"nkey_file"`
	CredsFile string  `yaml:"creds_file"`
	TLS       NATSTLS `yaml:"tls"`
}

// NATSTLS is a NATS client's TLS: the CA that signed the server's
// certificate, and a client certificate for servers that verify clients.
type NATSTLS struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Options returns the nats.go options that log in with a and set up its
// TLS. The error (an unreadable or invalid NKey seed) names the field and
// wraps ErrInvalid.
func (a *NATSAuth) Options() ([]nats.Option, error) {
	var opts []nats.Option
	if a.User != "" || a.Password != "" {
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	}
	if a.Token != "" {
		opts = append(opts, nats.Token(a.Token))
	}
	if a.NKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(a.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: nats.nkey_file: %w", ErrInvalid, err)
		}
		opts = append(opts, o)
	}
	if a.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(a.CredsFile))
	}
	if a.TLS.CAFile != "" {
		opts = append(opts, nats.RootCAs(a.TLS.CAFile))
	}
	if a.TLS.CertFile != "" {
		opts = append(opts, nats.ClientCert(a.TLS.CertFile, a.TLS.KeyFile))
	}
	return opts, nil
}

// set lists the keys of a that are set, as config fields under nats.
func (a *NATSAuth) set() []string {
	var keys []string
	for _, k := range []struct {
		name string
		set  bool
	}{
		{"user", a.User != ""},
		{"password", a.Password != ""},
		{"token", a.Token != ""},
		{"nkey_file", a.NKeyFile != ""},
		{"creds_file", a.CredsFile != ""},
		{"tls", a.TLS != NATSTLS{}},
	} {
		if k.set {
			keys = append(keys, k.name)
		}
	}
	return keys
}

// validate checks nats.url's credentials: one way to log in, files that can
// be read. Nothing it reports holds a secret.
func (a *NATSAuth) validate(natsURL string, bad func(field, format string, args ...any)) {
	switch {
	case a.User != "" && a.Password == "":
		bad("nats.password", "required with nats.user")
	case a.User == "" && a.Password != "":
		bad("nats.user", "required with nats.password")
	}
	var ways []string
	for _, w := range []struct {
		name string
		set  bool
	}{
		{"user/password", a.User != "" || a.Password != ""},
		{"token", a.Token != ""},
		{"nkey_file", a.NKeyFile != ""},
		{"creds_file", a.CredsFile != ""},
	} {
		if w.set {
			ways = append(ways, w.name)
		}
	}
	if len(ways) > 1 {
		bad("nats", "%s are different ways to log in: set one", strings.Join(ways, " and "))
	}
	if len(ways) > 0 && urlHasUserinfo(natsURL) {
		bad("nats.url", "holds credentials, and so does nats.%s: set them in one place", strings.Split(ways[0], "/")[0])
	}
	if a.NKeyFile != "" {
		if _, err := nats.NkeyOptionFromSeed(a.NKeyFile); err != nil {
			bad("nats.nkey_file", "%v", err)
		}
	}
	if a.CredsFile != "" {
		if _, err := os.Stat(a.CredsFile); err != nil {
			bad("nats.creds_file", "%v", err)
		}
	}
	t := a.TLS
	if t.CAFile != "" {
		if pem, err := os.ReadFile(t.CAFile); err != nil {
			bad("nats.tls.ca_file", "%v", err)
		} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			bad("nats.tls.ca_file", "%s holds no PEM certificate", t.CAFile)
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		bad("nats.tls", "cert_file and key_file go together")
	} else if t.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			bad("nats.tls", "%v", err)
		}
	}
}

// urlHasUserinfo reports whether one of the comma-separated URLs of
// nats.url holds a user, password or token.
func urlHasUserinfo(natsURL string) bool {
	for _, u := range strings.Split(natsURL, ",") {
		if p, err := url.Parse(strings.TrimSpace(u)); err == nil && p.User != nil {
			return true
		}
	}
	return false
}

// RedactURL returns nats.url (one URL or several, comma-separated) with
// any password or token in it replaced, for logs and errors.
func RedactURL(natsURL string) string {
	parts := strings.Split(natsURL, ",")
	for i, u := range parts {
		if p, err := url.Parse(strings.TrimSpace(u)); err == nil && p.User != nil {
			if _, has := p.User.Password(); has {
				p.User = url.UserPassword(p.User.Username(), "redacted")
			} else {
				p.User = url.User("redacted")
			}
			parts[i] = p.String()
		}
	}
	return strings.Join(parts, ",")
}

// ClientAuth returns how a client that reads the stream, such as `hookgate
// tail`, logs in. With user set it logs in as that user, with password, or
// when password is empty the password of that user in nats.users. Without
// user it logs in as the gateway does to nats.url, or to the embedded
// server as the first of nats.users (and without credentials when there are
// none). With nats.url the TLS settings are kept in every case. The error
// wraps ErrInvalid and never holds a password.
func (c *Config) ClientAuth(user, password string) (NATSAuth, error) {
	n := &c.NATS
	var tlsc NATSTLS
	if !n.Embedded() {
		tlsc = n.TLS
	}
	if user == "" {
		if password != "" {
			return NATSAuth{}, fmt.Errorf("%w: a password needs a user", ErrInvalid)
		}
		if !n.Embedded() {
			return n.NATSAuth, nil
		}
		if len(n.Users) == 0 {
			return NATSAuth{}, nil
		}
		user = n.Users[0].User
	}
	if password == "" {
		for i, u := range n.Users {
			if u.User != user {
				continue
			}
			if bcryptHash.MatchString(u.Password) {
				return NATSAuth{}, fmt.Errorf("%w: nats.users[%d] (%s).password is a bcrypt hash: give the password itself", ErrInvalid, i, user)
			}
			password = u.Password
		}
		if password == "" {
			return NATSAuth{}, fmt.Errorf("%w: user %q is not in nats.users: give its password", ErrInvalid, user)
		}
	}
	return NATSAuth{User: user, Password: password, TLS: tlsc}, nil
}

// validateUsers checks nats.users and fills in their subscribe subjects;
// subjectsOK says whether nats.subjects are valid, to check the users'
// subjects against them.
func (n *NATS) validateUsers(subjectsOK bool, bad func(field, format string, args ...any)) {
	seen := map[string]int{}
	for i := range n.Users {
		u := &n.Users[i]
		f := fmt.Sprintf("nats.users[%d]", i)
		if u.User != "" {
			f += " (" + u.User + ")"
		}
		if !natsUserName.MatchString(u.User) {
			bad(f+".user", "%q must be letters, digits, '.', '_', '-' or '@', starting with a letter or a digit", u.User)
		} else if j, dup := seen[u.User]; dup {
			bad(f+".user", "%q is already nats.users[%d]", u.User, j)
		} else {
			seen[u.User] = i
		}
		if u.Password == "" {
			bad(f+".password", "required")
		}
		if len(u.Subscribe) == 0 {
			u.Subscribe = slices.Clone(n.Subjects)
		}
		for j, subj := range u.Subscribe {
			field := f + ".subscribe[" + strconv.Itoa(j) + "]"
			if problem := forward.SubjectProblem(subj); problem != "" {
				bad(field, "%q %s", subj, problem)
			} else if subjectsOK && !slices.ContainsFunc(n.Subjects, func(s string) bool { return forward.SubjectWithin(subj, s) }) {
				bad(field, "%q is not inside nats.subjects %q: a user reads the stream's subjects only", subj, n.Subjects)
			}
		}
	}
}

// bcryptHash is a password that nats-server takes as a bcrypt hash.
var bcryptHash = regexp.MustCompile(`^\$2[abxy]\$\d{2}\$`)

// natsUserName is what nats.users[].user may be: never the gateway's own
// forward.InternalUser, which starts with '_'.
var natsUserName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]*$`)

// loopbackHost reports whether a listener on host is reachable from this
// machine only: localhost or a loopback address.
func loopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback()
}
