package forward

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// InternalUser is the embedded server's account for the gateway itself when
// [ServerConfig.Users] are set. It may publish and subscribe anywhere; its
// password is [ServerConfig.InternalPassword], which no file holds.
const InternalUser = "_hookgate"

// InternalInboxPrefix is the reply subject prefix of the gateway's own
// connection to an embedded server with users (nats.CustomInboxPrefix), so
// that the stream's acks to the gateway are not on the _INBOX.> subjects
// that consumer users subscribe to.
const InternalInboxPrefix = "_HOOKGATE_INBOX"

// User is an account of the embedded server for a service that reads the
// stream. It may subscribe to its Subscribe subjects and use the stream
// through JetStream consumers, and it may not publish to the stream's
// subjects nor change the stream; see [ConsumerPermissions].
type User struct {
	Name     string
	Password string
	// Subscribe lists the subjects the user may read: subscribe to, and
	// create consumers of the stream filtered on. Empty: the stream's
	// subjects.
	Subscribe []string
}

// ConsumerPermissions returns the permissions of a user that reads stream
// (whose subjects are streamSubjects) on the subjects of subscribe (the
// stream's subjects if empty). They let a JetStream client (nats.go's
// jetstream package) work as a consumer:
//
//   - subscribe to the subscribe subjects, and to _INBOX.> for replies;
//   - the stream's info, the JetStream account info and stream names;
//   - create or update a consumer (durable or not, ordered consumers
//     included) whose one filter subject falls inside subscribe, through
//     $JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>: NATS checks that the
//     request's filter is the one in the subject;
//   - consumer info, names, list and delete, pull requests (MSG.NEXT), acks
//     ($JS.ACK.<stream>.>) and flow control replies ($JS.FC.<stream>.>).
//
// A user whose subscribe subjects cover every subject of the stream may also
// create consumers without a filter or with several, through the older
// create subjects, and read single messages (STREAM.MSG.GET, DIRECT.GET).
//
// A user whose subscribe subjects cover the whole stream may also publish
// dead letters (DeadLetterSubjects, where package consume copies the
// messages it gives up on) and read the dead-letter stream
// DeadLetterStream; a user limited to some subjects may not, since dead
// letters hold events of every subject. A dead letter is not an event: any
// such user may write one.
//
// Everything else is denied: publishing to the stream's subjects (denied
// explicitly too), to _INBOX.> (a forged reply to another client's pull
// request would pass for a stored message), and every API that changes a
// stream (create, update, delete, purge, message delete, snapshot, restore).
func ConsumerPermissions(stream string, streamSubjects, subscribe []string) *server.Permissions {
	if len(subscribe) == 0 {
		subscribe = streamSubjects
	}
	all := readsAll(subscribe, streamSubjects)
	pub := append(readStream(stream, all, subscribe),
		"$JS.API.INFO",
		"$JS.API.STREAM.NAMES",
	)
	if all {
		// Dead letters: a consumer copies what it gives up on to
		// DeadLetterSubjects, and reads them back. Only for a user who
		// reads every event anyway: a dead letter holds an event's body.
		pub = append(pub, readStream(DeadLetterStream, true, nil)...)
		pub = append(pub, DeadLetterSubjects)
	}
	sub := append([]string{"_INBOX.>"}, subscribe...)
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: pub,
			Deny:  append([]string{"_INBOX.>"}, streamSubjects...),
		},
		Subscribe: &server.SubjectPermission{Allow: sub},
	}
}

// readStream returns the API subjects a consumer of stream publishes to:
// with all, consumers of any filter and single messages; without, only
// consumers filtered on one of filters.
func readStream(stream string, all bool, filters []string) []string {
	api := "$JS.API."
	pub := []string{
		api + "STREAM.INFO." + stream,
		api + "CONSUMER.INFO." + stream + ".*",
		api + "CONSUMER.NAMES." + stream,
		api + "CONSUMER.LIST." + stream,
		api + "CONSUMER.DELETE." + stream + ".*",
		api + "CONSUMER.MSG.NEXT." + stream + ".*",
		"$JS.ACK." + stream + ".>",
		"$JS.FC." + stream + ".>",
	}
	if all {
		return append(pub,
			api+"CONSUMER.CREATE."+stream,
			api+"CONSUMER.CREATE."+stream+".>",
			api+"CONSUMER.DURABLE.CREATE."+stream+".*",
			api+"STREAM.MSG.GET."+stream,
			api+"DIRECT.GET."+stream,
			api+"DIRECT.GET."+stream+".>",
		)
	}
	for _, s := range filters {
		pub = append(pub, api+"CONSUMER.CREATE."+stream+".*."+s)
	}
	return pub
}

// readsAll reports whether every subject of the stream falls inside one of
// the filters.
func readsAll(filters, streamSubjects []string) bool {
	for _, s := range streamSubjects {
		inside := false
		for _, f := range filters {
			if SubjectWithin(s, f) {
				inside = true
				break
			}
		}
		if !inside {
			return false
		}
	}
	return true
}

// SubjectWithin reports whether every subject that the subject or filter
// inner matches is matched by outer too ("webhooks.shop.>" is within
// "webhooks.>" and "webhooks.*.>", not within "webhooks.*"). Both must be
// valid NATS subjects.
func SubjectWithin(inner, outer string) bool {
	in, out := strings.Split(inner, "."), strings.Split(outer, ".")
	for i := 0; ; i++ {
		switch {
		case i < len(out) && out[i] == ">":
			return i < len(in)
		case i == len(in) || i == len(out):
			return len(in) == len(out)
		case in[i] == ">":
			return false // matches several tokens where outer has one
		case out[i] == "*":
		case in[i] == "*" || in[i] != out[i]:
			return false
		}
	}
}

// serverUsers returns the embedded server's users: the internal one with
// every permission, and cfg.Users with [ConsumerPermissions].
func serverUsers(cfg *ServerConfig) ([]*server.User, error) {
	if cfg.InternalPassword == "" {
		return nil, fmt.Errorf("%w: the internal password is required with users", ErrUsers)
	}
	users := []*server.User{{Username: InternalUser, Password: cfg.InternalPassword}}
	seen := map[string]bool{InternalUser: true}
	for i, u := range cfg.Users {
		switch {
		case u.Name == "":
			return nil, fmt.Errorf("%w: user %d has no name", ErrUsers, i)
		case seen[u.Name]:
			return nil, fmt.Errorf("%w: user %q is reserved or given twice", ErrUsers, u.Name)
		case u.Password == "":
			return nil, fmt.Errorf("%w: user %q has no password", ErrUsers, u.Name)
		}
		seen[u.Name] = true
		users = append(users, &server.User{
			Username:    u.Name,
			Password:    u.Password,
			Permissions: ConsumerPermissions(cfg.Stream, cfg.StreamSubjects, u.Subscribe),
		})
	}
	return users, nil
}
