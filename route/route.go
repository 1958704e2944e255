// Package route evaluates routing rules: conditions in CEL (the Common
// Expression Language of Kubernetes, Envoy and ngrok) over an accepted
// event, each adding a copy of the event on a subject of its own, or
// dropping the event.
//
// Expressions are compiled and type-checked once ([Compile]); an
// expression that does not compile, or whose result is not a bool, is an
// error that names its rule. The body is parsed as JSON only when an
// expression reads it. A rule whose evaluation fails for one event (a
// missing field, a body that is not JSON) does not match it; the error is
// returned with the matches, for the caller to count and log. So does one
// stopped at EvalTimeout.
//
// route imports no other hookgate package.
package route

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// ErrInvalid is wrapped by Compile's errors.
var ErrInvalid = errors.New("route: invalid rule")

// EvalTimeout bounds the evaluation of one rule's condition for one
// event. Only a condition with a comprehension (all, exists, exists_one,
// map, filter) can run long: one nested over the body's lists is
// quadratic in the body (hours for 1 MiB of small items). It is stopped
// when its time is up, and is then a RuleError wrapping ErrTimeout: no
// match. The time includes parsing the body when the rule is the first
// to read it (about 0.1 s for 1 MiB of small items, a linear condition
// over them a third of that).
//
// It is a time, not cel-go's cost limit: cel-go's cost tracking (v0.31)
// is itself quadratic in a comprehension's iterations, so CostLimit would
// make every linear condition over a large list quadratic. Nor are
// conditions refused by their estimated cost: the estimate cannot tell a
// comprehension nested over the same list (quadratic) from one over each
// element's own list (linear in the body).
const EvalTimeout = time.Second

// ErrTimeout is wrapped by the RuleError of a condition stopped at
// EvalTimeout.
var ErrTimeout = errors.New("route: the condition ran out of time")

// interruptEvery is how many comprehension iterations run between two
// looks at the evaluation's deadline.
const interruptEvery = 100

// Rule is one routing rule as configured.
type Rule struct {
	Name string
	// Providers limits the rule to these providers (none: every one).
	Providers []string
	// When is the CEL condition; empty matches every event.
	When string
	// Drop means a matching event is forwarded nowhere, and the rules
	// after this one are not evaluated.
	Drop bool
}

// Input is what an expression sees of an event.
type Input struct {
	Provider string
	ID       string
	Type     string
	// Header is the request's header (http.Header); expressions see it as
	// headers, a map from lower-case names to the values joined with ", ",
	// built when an expression reads it.
	Header map[string][]string
	// Body is the raw body, parsed as JSON when an expression reads body.
	Body []byte
	// Key and Version are the ordering key and comparable version (zero
	// when the provider has no ordering).
	Key     string
	Version int64
}

// Table is a compiled set of rules, in order. It is safe for concurrent
// use.
type Table struct {
	rules []compiled
	body  bodyUse // what the conditions read of the body
}

type compiled struct {
	Rule
	providers map[string]bool
	prg       cel.Program // nil: no condition
	// loops is set for a condition with a comprehension: it is evaluated
	// under EvalTimeout.
	loops bool
}

// env declares the variables of an expression.
func env() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("provider", cel.StringType),
		cel.Variable("id", cel.StringType),
		cel.Variable("type", cel.StringType),
		cel.Variable("headers", cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable("body", cel.DynType),
		cel.Variable("key", cel.StringType),
		cel.Variable("version", cel.IntType),
		cel.CrossTypeNumericComparisons(true),
	)
}

// Compile compiles rules; its error lists every rule that does not
// compile, by name, and wraps ErrInvalid.
func Compile(rules []Rule) (*Table, error) {
	e, err := env()
	if err != nil {
		return nil, fmt.Errorf("route: %w", err)
	}
	t := &Table{}
	var errs []error
	for _, r := range rules {
		c := compiled{Rule: r}
		if len(r.Providers) > 0 {
			c.providers = map[string]bool{}
			for _, p := range r.Providers {
				c.providers[p] = true
			}
		}
		if r.When != "" {
			prg, loops, err := program(e, r.When, &t.body)
			if err != nil {
				errs = append(errs, fmt.Errorf("%w %q: when: %w", ErrInvalid, r.Name, err))
				continue
			}
			c.prg, c.loops = prg, loops
		}
		t.rules = append(t.rules, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

// program compiles and type-checks one condition, and reports whether it
// has a comprehension (an interruptible program then).
// It adds what the condition reads of the body to body.
func program(e *cel.Env, when string, body *bodyUse) (prg cel.Program, loops bool, err error) {
	a, iss := e.Compile(when)
	if iss.Err() != nil {
		return nil, false, iss.Err()
	}
	if t := a.OutputType(); t != cel.BoolType && t != cel.DynType {
		return nil, false, fmt.Errorf("the expression is a %s, not a bool", t)
	}
	body.addUses(a)
	opts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	root := ast.NavigateAST(a.NativeRep())
	if loops = len(ast.MatchDescendants(root, ast.KindMatcher(ast.ComprehensionKind))) > 0; loops {
		opts = append(opts, cel.InterruptCheckFrequency(interruptEvery))
	}
	prg, err = e.Program(a, opts...)
	return prg, loops, err
}

// eval evaluates the rule's condition; one with a comprehension is
// stopped at EvalTimeout.
func (r *compiled) eval(vars *activation) (ref.Val, error) {
	if !r.loops {
		out, _, err := r.prg.Eval(vars)
		return out, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), EvalTimeout)
	defer cancel()
	out, _, err := r.prg.ContextEval(ctx, vars)
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: stopped after %s", ErrTimeout, EvalTimeout)
	}
	return out, err
}

// Match is a rule that matched an event.
type Match struct {
	Name string
	Drop bool
}

// RuleError is one rule's failure to evaluate for an event: it did not
// match.
type RuleError struct {
	Rule string
	Err  error
}

func (e *RuleError) Error() string { return fmt.Sprintf("route %q: %v", e.Rule, e.Err) }

// Eval returns the rules that match in, in order, up to and including the
// first matching drop rule, and the evaluation errors of the rules that
// failed (which did not match).
func (t *Table) Eval(in *Input) ([]Match, []*RuleError) {
	var (
		matches []Match
		errs    []*RuleError
		vars    = &activation{in: in, body: &t.body}
	)
	for i := range t.rules {
		r := &t.rules[i]
		if r.providers != nil && !r.providers[in.Provider] {
			continue
		}
		if r.prg != nil {
			out, err := r.eval(vars)
			if err == nil && out.Type() != types.BoolType {
				err = fmt.Errorf("the expression gave a %s, not a bool", out.Type().TypeName())
			}
			if err != nil {
				errs = append(errs, &RuleError{Rule: r.Name, Err: err})
				continue
			}
			if out != types.True {
				continue
			}
		}
		matches = append(matches, Match{Name: r.Name, Drop: r.Drop})
		if r.Drop {
			break
		}
	}
	return matches, errs
}

// Len returns the number of rules.
func (t *Table) Len() int { return len(t.rules) }

// activation resolves an expression's variables from an Input, parsing
// the body on first use only.
type activation struct {
	in      *Input
	headers map[string]string
	body    *bodyUse
	doc     any
	docErr  error
	parsed  bool
}

var _ interpreter.Activation = (*activation)(nil)

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "provider":
		return a.in.Provider, true
	case "id":
		return a.in.ID, true
	case "type":
		return a.in.Type, true
	case "headers":
		if a.headers == nil {
			a.headers = make(map[string]string, len(a.in.Header))
			for k, vs := range a.in.Header {
				a.headers[strings.ToLower(k)] = strings.Join(vs, ", ")
			}
		}
		return a.headers, true
	case "key":
		return a.in.Key, true
	case "version":
		return a.in.Version, true
	case "body":
		if !a.parsed {
			a.parsed = true
			a.doc, a.docErr = a.body.value(a.in.Body)
		}
		if a.docErr != nil {
			return types.NewErr("body is not JSON: %v", a.docErr), true
		}
		return a.doc, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }
