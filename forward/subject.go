package forward

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultTemplate is the subject template used when none is configured.
const DefaultTemplate = "webhooks.{provider}.{type}"

// Template placeholders.
const (
	placeholderProvider = "{provider}"
	placeholderType     = "{type}"
)

// unknownToken replaces an empty subject token.
const unknownToken = "unknown"

// maxTypeLen bounds the rendered event type, so that a provider cannot make
// a subject longer than a NATS control line allows.
const maxTypeLen = 256

// maxSubjectLen bounds a subject accepted by [Enqueue].
const maxSubjectLen = 1024

// Subject renders the subject template tmpl ("" means [DefaultTemplate]) for
// one event. It is a pure function, safe for concurrent use.
//
// The placeholder {provider} becomes the provider name as a single token
// (dots included are replaced). The placeholder {type} becomes the event
// type with its dots kept, so "order.created" renders as two tokens and a
// subscription to "webhooks.shop.order.*" works; a '/' separates tokens
// too, so Shopify's "orders/create" renders as "orders.create". Inside
// every token, spaces, '*', '>' and any character that is not printable
// (controls, invalid UTF-8, non-ASCII spaces, format characters) become
// '_'; an empty token becomes "unknown" ("a//b" renders as
// "a.unknown.b"). Other Unicode letters, digits and symbols are kept. The
// rendered event type is cut to at most 256 bytes at a character boundary
// (a trailing dot is dropped), so that no provider can produce a subject
// longer than NATS accepts.
//
// The first token of the subject never reaches a reserved namespace: if it
// starts with '$' (NATS system and JetStream API subjects such as
// "$JS.API.STREAM.PURGE.WEBHOOKS"), that '$' becomes '_', and a first token
// "_INBOX" (request replies) becomes "__INBOX". So the template "{type}"
// renders the event type "$JS.API.STREAM.PURGE.WEBHOOKS" as
// "_JS.API.STREAM.PURGE.WEBHOOKS".
//
// tmpl is expected to have passed [ValidateTemplate]; other literal text is
// copied as it is.
func Subject(tmpl, provider, eventType string) string {
	if tmpl == "" {
		tmpl = DefaultTemplate
	}
	var b strings.Builder
	b.Grow(len(tmpl) + len(provider) + len(eventType))
	for len(tmpl) > 0 {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i:]
		switch {
		case strings.HasPrefix(tmpl, placeholderProvider):
			appendToken(&b, provider)
			tmpl = tmpl[len(placeholderProvider):]
		case strings.HasPrefix(tmpl, placeholderType):
			appendType(&b, eventType)
			tmpl = tmpl[len(placeholderType):]
		default:
			b.WriteByte('{')
			tmpl = tmpl[1:]
		}
	}
	return unreserve(b.String())
}

// inboxToken is the first token of reply subjects.
const inboxToken = "_INBOX"

// reservedFirstToken reports whether the first token tok puts a subject in a
// namespace that NATS reserves: '$' (system accounts, JetStream, KV and
// object store APIs) or _INBOX (replies).
func reservedFirstToken(tok string) bool {
	return strings.HasPrefix(tok, "$") || tok == inboxToken
}

// unreserve moves a subject out of a reserved namespace: a leading '$'
// becomes '_' and a first token _INBOX gets a second leading '_'.
func unreserve(s string) string {
	tok, _, _ := strings.Cut(s, ".")
	switch {
	case strings.HasPrefix(tok, "$"):
		return "_" + s[1:]
	case tok == inboxToken:
		return "_" + s
	}
	return s
}

// appendType writes the event type as one or more sanitized tokens: a '.'
// or a '/' separates them.
func appendType(b *strings.Builder, t string) {
	start := b.Len()
	for {
		i := strings.IndexAny(t, "./")
		if i < 0 {
			appendToken(b, t)
			break
		}
		appendToken(b, t[:i])
		b.WriteByte('.')
		t = t[i+1:]
	}
	if b.Len()-start <= maxTypeLen {
		return
	}
	// Cut to maxTypeLen at a character boundary, and drop a trailing dot so
	// that no empty token is left. Everything written is valid UTF-8 now.
	s := b.String()
	end := start + maxTypeLen
	for end > start && !utf8.RuneStart(s[end]) {
		end--
	}
	for end > start && s[end-1] == '.' {
		end--
	}
	kept := s[:end]
	b.Reset()
	b.WriteString(kept)
}

// appendToken writes s as one sanitized token ('.' is replaced too).
func appendToken(b *strings.Builder, s string) {
	if s == "" {
		b.WriteString(unknownToken)
		return
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if validTokenASCII(c) {
				b.WriteByte(c)
			} else {
				b.WriteByte('_')
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			b.WriteByte('_')
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
}

// validTokenASCII reports whether c may appear in a subject token: printable,
// not a space, not a separator or a wildcard.
func validTokenASCII(c byte) bool {
	return c > ' ' && c < 0x7f && c != '.' && c != '*' && c != '>'
}

// validTokenRune is validTokenASCII for any rune.
func validTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return validTokenASCII(byte(r))
	}
	return r != utf8.RuneError && unicode.IsPrint(r)
}

// ValidateTemplate checks a subject template for configuration validation.
// The error wraps [ErrInvalidTemplate] and names the problem: an empty
// template or token, an unknown placeholder, unbalanced braces, a wildcard
// ('*', '>'), whitespace or another invalid character, a leading '$'
// (reserved for NATS system and JetStream API subjects) or a first token
// "_INBOX" (reserved for replies). Placeholders are {provider} and {type};
// neither is required.
func ValidateTemplate(tmpl string) error {
	if tmpl == "" {
		return templateError(tmpl, "empty template")
	}
	if tmpl[0] == '$' {
		return templateError(tmpl, "subjects starting with '$' are reserved")
	}
	if tok, _, _ := strings.Cut(tmpl, "."); tok == inboxToken {
		return templateError(tmpl, "subjects starting with _INBOX are reserved")
	}
	tokenLen := 0
	for i := 0; i < len(tmpl); {
		c := tmpl[i]
		switch c {
		case '.':
			if tokenLen == 0 {
				return templateError(tmpl, fmt.Sprintf("empty token at offset %d", i))
			}
			tokenLen = 0
			i++
			continue
		case '{':
			end := strings.IndexAny(tmpl[i+1:], "{}.")
			if end < 0 || tmpl[i+1+end] != '}' {
				return templateError(tmpl, fmt.Sprintf("unbalanced braces: '{' at offset %d is not closed", i))
			}
			ph := tmpl[i : i+end+2]
			if ph != placeholderProvider && ph != placeholderType {
				return templateError(tmpl, fmt.Sprintf("unknown placeholder %s (want {provider} or {type})", ph))
			}
			tokenLen += len(ph)
			i += len(ph)
			continue
		case '}':
			return templateError(tmpl, fmt.Sprintf("unbalanced braces: '}' at offset %d has no '{'", i))
		case '*', '>':
			return templateError(tmpl, fmt.Sprintf("wildcard %q at offset %d", c, i))
		}
		r, size := utf8.DecodeRuneInString(tmpl[i:])
		if !validTokenRune(r) {
			return templateError(tmpl, fmt.Sprintf("invalid character %q at offset %d", r, i))
		}
		tokenLen += size
		i += size
	}
	if tokenLen == 0 {
		return templateError(tmpl, "empty token at the end")
	}
	return nil
}

func templateError(tmpl, problem string) error {
	return fmt.Errorf("%q: %s: %w", tmpl, problem, ErrInvalidTemplate)
}

// checkSubject reports what makes s unusable as a publish subject, or "".
// A first token starting with '$' or equal to _INBOX is refused: it would
// publish to NATS system or JetStream API subjects, or into replies.
func checkSubject(s string) string {
	if s == "" {
		return "empty subject"
	}
	if len(s) > maxSubjectLen {
		return fmt.Sprintf("subject longer than %d bytes", maxSubjectLen)
	}
	if tok, _, _ := strings.Cut(s, "."); reservedFirstToken(tok) {
		return fmt.Sprintf("first token %q is reserved (subjects starting with '$' or _INBOX)", tok)
	}
	tokenLen := 0
	for i, r := range s {
		switch {
		case r == '.':
			if tokenLen == 0 {
				return "empty token"
			}
			tokenLen = 0
		case r == '*' || r == '>':
			return "wildcard in subject"
		case !validTokenRune(r):
			return fmt.Sprintf("invalid character %q at offset %d", r, i)
		default:
			tokenLen++
		}
	}
	if tokenLen == 0 {
		return "empty token"
	}
	return ""
}

// SubjectIn reports whether the subject subj (no wildcards) falls inside
// one of filters, subjects that may hold wildcards ('*' one token, '>' one
// or more at the end), as a stream's subjects do: whether a stream with
// these subjects stores a message published on subj.
func SubjectIn(subj string, filters []string) bool {
	toks := strings.Split(subj, ".")
	for _, f := range filters {
		if filterMatches(strings.Split(f, "."), toks) {
			return true
		}
	}
	return false
}

func filterMatches(filter, toks []string) bool {
	for i, f := range filter {
		switch {
		case f == ">":
			return len(toks) > i
		case i >= len(toks):
			return false
		case f != "*" && f != toks[i]:
			return false
		}
	}
	return len(filter) == len(toks)
}

// SubjectProblem reports what makes subj an invalid NATS subject or
// filter, or "": NATS refuses an empty token, white space, and a '>' that
// is not the last token.
func SubjectProblem(subj string) string {
	if subj == "" {
		return "is empty"
	}
	toks := strings.Split(subj, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return "has an empty token"
		case strings.ContainsAny(t, " \t\n\f\r"):
			return "has white space"
		case t == ">" && i != len(toks)-1:
			return "has '>' before its last token"
		}
	}
	return ""
}

// StreamSubjectProblem reports what makes subj unusable as a subject of
// the stream, or "": what NATS refuses in any subject (SubjectProblem), and
// (for a stream that acknowledges) a subject that would also capture the
// JetStream and system API subjects ($JS.>, $SYS.>).
func StreamSubjectProblem(subj string) string {
	if p := SubjectProblem(subj); p != "" {
		return p
	}
	toks := strings.Split(subj, ".")
	if toks[0] == "*" || toks[0] == ">" {
		return "starts with a wildcard, so it would capture the JetStream and system API subjects ($JS.>, $SYS.>), which NATS refuses for a stream"
	}
	return ""
}

// SubjectsOverlap reports whether some subject matches both filters a and
// b (NATS refuses a stream whose subjects overlap).
func SubjectsOverlap(a, b string) bool {
	return overlap(strings.Split(a, "."), strings.Split(b, "."))
}

func overlap(a, b []string) bool {
	for i := 0; ; i++ {
		switch {
		case i == len(a) || i == len(b):
			return len(a) == len(b)
		case a[i] == ">" || b[i] == ">":
			return true
		case a[i] != "*" && b[i] != "*" && a[i] != b[i]:
			return false
		}
	}
}

// templateToken is a token of a subject template: a literal, with
// {provider} rendered, or one holding {type} (one or more tokens of any
// content).
type templateToken struct {
	lit   string
	multi bool
}

// TemplateCovered reports whether every subject that tmpl (valid for
// ValidateTemplate) renders to for provider (a valid provider name) falls
// inside one of subjects, a stream's subjects (see Subject). {provider}
// renders to exactly the provider's name, which holds no character that
// Subject replaces, as part of one token; {type} to one or more tokens of
// any content (its dots and slashes both separate tokens), which only a
// '>' at or before its place covers.
func TemplateCovered(tmpl, provider string, subjects []string) bool {
	filters := make([][]string, len(subjects))
	for i, f := range subjects {
		filters[i] = strings.Split(f, ".")
	}
	var toks []templateToken
	for _, t := range strings.Split(tmpl, ".") {
		if strings.Contains(t, placeholderType) {
			toks = append(toks, templateToken{multi: true})
		} else {
			toks = append(toks, templateToken{lit: strings.ReplaceAll(t, "{provider}", provider)})
		}
	}
	return covered(toks, 0, filters)
}

// covered reports whether every rendering of toks, from token position pos
// on, is matched by one of filters, the filters that matched every token
// before pos.
func covered(toks []templateToken, pos int, filters [][]string) bool {
	if len(toks) == 0 {
		return slices.ContainsFunc(filters, func(f []string) bool { return len(f) == pos })
	}
	var next [][]string
	for _, f := range filters {
		switch {
		case pos >= len(f):
		case f[pos] == ">":
			return true // matches one or more tokens: all that is left
		case f[pos] == "*", !toks[0].multi && f[pos] == toks[0].lit:
			next = append(next, f)
		}
	}
	if len(next) == 0 {
		return false
	}
	if !toks[0].multi {
		return covered(toks[1:], pos+1, next)
	}
	// {type} is one token here and the template goes on, or it has more.
	return covered(toks[1:], pos+1, next) && covered(toks, pos+1, next)
}

// Overlap is a subject that two subject templates both render, with an
// event type for each that renders it.
type Overlap struct {
	Subject string
	// TypeA and TypeB are the event types that render Subject from the
	// first and the second template ("" for a template without {type}).
	TypeA, TypeB string
}

// TemplatesOverlap reports whether template a rendered for providerA and
// template b rendered for providerB can give the same subject (see
// [Subject]), each for an event type of its own, and returns one such
// subject. Both templates are expected to have passed [ValidateTemplate],
// and the providers to be valid provider names (lower-case letters,
// digits, '-' and '_').
//
// The answer is exact, not a heuristic on tokens: {provider} is the
// provider's name; {type} is any rendering of an event type, that is one or
// more tokens joined by dots, each token one or more characters that a
// subject token takes except '/' (a '/' in an event type separates tokens,
// so no rendered type holds one, while a literal '/' in a template stays),
// at most 256 bytes in all; literal text, dots included, is itself; a
// placeholder inside a token ("v1-{type}") renders inside it. So
// "webhooks.{provider}.{type}" for provider stale and
// "webhooks.stale.{provider}.{type}" for provider shop overlap on
// webhooks.stale.shop.x (stale's type shop.x, shop's type x), while
// "webhooks.{provider}.{type}" for shop and the second for any provider do
// not (their second tokens differ), nor do "a/b.{type}" and "{type}.c.d".
//
// Three limits, all far from real templates: a template that holds {type}
// more than once renders the same type at each place, which the search
// does not track, so it reports only a subject it checked by rendering both
// templates with the types found, and may then miss an overlap; the
// rewriting of a first token _INBOX to __INBOX (see [Subject]) is not
// modelled for a template whose first token starts with part of _INBOX
// followed by {type} (such as "_IN{type}"); and a subject longer than
// [Enqueue] takes (1024 bytes) counts as one (only templates with some 700
// bytes of text can need one).
func TemplatesOverlap(a, providerA, b, providerB string) (Overlap, bool) {
	x, y := templateItemsOf(a, providerA), templateItemsOf(b, providerB)
	start := statePair{}
	prev := map[statePair]step{start: {}}
	queue := []statePair{start}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p.a.pos == len(x) && p.b.pos == len(y) {
			return overlapAt(prev, p, x, y, a, providerA, b, providerB)
		}
		visit := func(next statePair, r rune) {
			if _, seen := prev[next]; !seen {
				prev[next] = step{from: p, r: r}
				queue = append(queue, next)
			}
		}
		// The end of {type} after a whole token, on either side.
		if na, ok := x.leave(p.a); ok {
			visit(statePair{na, p.b}, noRune)
		}
		if nb, ok := y.leave(p.b); ok {
			visit(statePair{p.a, nb}, noRune)
		}
		// A character both read: a literal one of either, or when both
		// are in {type}, any character a type token takes (one byte:
		// 'x'), or a dot.
		var candidates []rune
		switch {
		case p.a.pos < len(x) && !x[p.a.pos].typ:
			candidates = []rune{x[p.a.pos].r}
		case p.b.pos < len(y) && !y[p.b.pos].typ:
			candidates = []rune{y[p.b.pos].r}
		case p.a.pos < len(x) && p.b.pos < len(y):
			candidates = []rune{'x', '.'}
		}
		for _, r := range candidates {
			na, okA := x.read(p.a, r)
			nb, okB := y.read(p.b, r)
			if okA && okB {
				visit(statePair{na, nb}, r)
			}
		}
	}
	return Overlap{}, false
}

// templateItem is one character of a template with {provider} filled in,
// or its {type}.
type templateItem struct {
	r   rune
	typ bool
}

// templateItems is the template tmpl for provider, as items.
type templateItems []templateItem

func templateItemsOf(tmpl, provider string) templateItems {
	if tmpl == "" {
		tmpl = DefaultTemplate
	}
	var items templateItems
	for len(tmpl) > 0 {
		switch {
		case strings.HasPrefix(tmpl, placeholderProvider):
			for _, r := range provider {
				items = append(items, templateItem{r: r})
			}
			tmpl = tmpl[len(placeholderProvider):]
		case strings.HasPrefix(tmpl, placeholderType):
			items = append(items, templateItem{typ: true})
			tmpl = tmpl[len(placeholderType):]
		default:
			r, size := utf8.DecodeRuneInString(tmpl)
			items = append(items, templateItem{r: r})
			tmpl = tmpl[size:]
		}
	}
	return items
}

// renderState is where a rendering of a template stands: before item pos;
// at a {type}, n bytes of it rendered, in telling whether the last was a
// token's character (not a dot, nor none yet).
type renderState struct {
	pos int
	n   int
	in  bool
}

type statePair struct{ a, b renderState }

// noRune marks a step that reads nothing.
const noRune = -1

// step is how a pair of states was first reached: from another, reading r.
type step struct {
	from statePair
	r    rune
}

// read returns the state after s renders r, and whether it can.
func (t templateItems) read(s renderState, r rune) (renderState, bool) {
	if s.pos == len(t) {
		return s, false
	}
	if it := t[s.pos]; !it.typ {
		return renderState{pos: s.pos + 1}, it.r == r
	}
	switch {
	case r == '.':
		// A dot only between two tokens of the type: one follows, so
		// it needs room for one more byte.
		return renderState{pos: s.pos, n: s.n + 1}, s.in && s.n+2 <= maxTypeLen
	case r != '/' && validTokenRune(r) && s.n+utf8.RuneLen(r) <= maxTypeLen:
		return renderState{pos: s.pos, n: s.n + utf8.RuneLen(r), in: true}, true
	}
	return s, false
}

// leave returns the state after s ends the {type} it is in, if it can: after
// a token's character.
func (t templateItems) leave(s renderState) (renderState, bool) {
	if s.pos < len(t) && t[s.pos].typ && s.in {
		return renderState{pos: s.pos + 1}, true
	}
	return s, false
}

// overlapAt reads the subject, and each template's type, off the steps that
// reached end, and checks them by rendering both templates.
func overlapAt(prev map[statePair]step, end statePair, x, y templateItems, a, providerA, b, providerB string) (Overlap, bool) {
	var path []step
	for p := end; p != (statePair{}); p = prev[p].from {
		path = append(path, step{from: prev[p].from, r: prev[p].r})
	}
	slices.Reverse(path)
	firstType := func(t templateItems) int {
		return slices.IndexFunc(t, func(it templateItem) bool { return it.typ })
	}
	fa, fb := firstType(x), firstType(y)
	var subj, ta, tb strings.Builder
	for _, s := range path {
		if s.r == noRune {
			continue
		}
		subj.WriteRune(s.r)
		if s.from.a.pos == fa {
			ta.WriteRune(s.r)
		}
		if s.from.b.pos == fb {
			tb.WriteRune(s.r)
		}
	}
	o := Overlap{Subject: Subject(a, providerA, ta.String()), TypeA: ta.String(), TypeB: tb.String()}
	if o.Subject != Subject(b, providerB, tb.String()) {
		return Overlap{}, false // a {type} used twice, rendered differently
	}
	return o, true
}
