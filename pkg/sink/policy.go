package sink

import (
	"fmt"
	"sort"
	"strings"
)

// DDLAction is what a sink does with one kind of DDL statement.
type DDLAction string

// DDL actions.
const (
	DDLApply  DDLAction = "apply"  // translate for the copy and execute
	DDLIgnore DDLAction = "ignore" // record as handled, change nothing
	DDLHalt   DDLAction = "halt"   // stop the replayer; the operator applies or skips it
)

// DDLPolicy maps a change-event DDL type (CREATE, ALTER, ERASE, TRUNCATE, RENAME, CINDEX,
// DINDEX, QUERY) to an action. Types not in the map halt.
type DDLPolicy map[string]DDLAction

// DefaultDDLPolicy returns the default policy:
//   - CREATE, ALTER, RENAME, TRUNCATE: apply (TRUNCATE becomes a version-guarded tombstone sweep);
//   - CINDEX, DINDEX: ignore (the copies keep only primary keys);
//   - ERASE (DROP TABLE) and QUERY (anything else): halt, because dropping copy data or running
//     unknown statements is an operator decision.
func DefaultDDLPolicy() DDLPolicy {
	return DDLPolicy{
		"CREATE": DDLApply, "ALTER": DDLApply, "RENAME": DDLApply, "TRUNCATE": DDLApply,
		"CINDEX": DDLIgnore, "DINDEX": DDLIgnore,
		"ERASE": DDLHalt, "QUERY": DDLHalt,
	}
}

// Action returns the action for kind (halt when absent).
func (p DDLPolicy) Action(kind string) DDLAction {
	if a, ok := p[strings.ToUpper(kind)]; ok {
		return a
	}
	return DDLHalt
}

// Carry does what the policy says for DDL d: a HaltError for halt, run for apply, nothing
// for ignore. It returns the action, which the sink records as applied with the DDL's version.
func (p DDLPolicy) Carry(d *DDL, run func() error) (DDLAction, error) {
	action := p.Action(d.Kind)
	switch action {
	case DDLHalt:
		return action, &HaltError{DDL: *d, Reason: "policy for " + d.Kind + " is halt"}
	case DDLApply:
		if err := run(); err != nil {
			return action, err
		}
	}
	return action, nil
}

// ParseDDLPolicy parses "KIND=action,KIND=action" on top of DefaultDDLPolicy.
func ParseDDLPolicy(s string) (DDLPolicy, error) {
	p := DefaultDDLPolicy()
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		a := DDLAction(strings.ToLower(strings.TrimSpace(v)))
		if !ok || (a != DDLApply && a != DDLIgnore && a != DDLHalt) {
			return nil, fmt.Errorf("parse ddl policy %q: want KIND=apply|ignore|halt, e.g. ERASE=ignore", part)
		}
		p[strings.ToUpper(strings.TrimSpace(k))] = a
	}
	return p, nil
}

// String formats the policy sorted by kind, e.g. "ALTER=apply,CINDEX=ignore,...".
func (p DDLPolicy) String() string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + string(p[k])
	}
	return strings.Join(parts, ",")
}

// HaltError explains a DDL statement the replayer will not apply by itself: what, where, and
// how the operator proceeds.
type HaltError struct {
	DDL    DDL
	Reason string
}

// Error names the statement, its position and version, and the ways forward.
func (e *HaltError) Error() string {
	return fmt.Sprintf("ddl halted at %s (version %d): %s; statement: %s; "+
		"apply the equivalent change to the copy by hand and then run `replayer ddl skip --version %d`, "+
		"or change the policy with --ddl-policy %s=ignore|apply",
		e.DDL.Position, e.DDL.Version, e.Reason, e.DDL.SQL, e.DDL.Version, e.DDL.Kind)
}

// Unwrap makes errors.Is(err, ErrDDLHalt) true.
func (e *HaltError) Unwrap() error { return ErrDDLHalt }
