package filter

import "fmt"

// Expression types, as subscriptions and pull requests carry them.
const (
	TypeTag   = "TAG"
	TypeSQL92 = "SQL92"
)

// IsTagType reports whether an expression type means tags; upstream reads
// a missing type as TAG. Types are case-sensitive, as upstream.
func IsTagType(exprType string) bool { return exprType == "" || exprType == TypeTag }

// Selector is one subscription's compiled filter: Tags for a TAG
// subscription, SQL for a SQL92 one (the other is nil). It mirrors
// upstream's two-stage message filter: tags codes are checked on the
// consume queue, SQL92 on the properties read from the commit log.
type Selector struct {
	Tags *Tags
	SQL  *Expression
}

// NewSelector compiles a subscription expression of the given type. Its
// error is what the broker puts in a SUBSCRIPTION_PARSE_FAILED remark.
func NewSelector(exprType, expr string) (*Selector, error) {
	switch {
	case IsTagType(exprType):
		t, err := ParseTags(expr)
		if err != nil {
			return nil, err
		}
		return &Selector{Tags: t}, nil
	case exprType == TypeSQL92:
		e, err := Compile(expr)
		if err != nil {
			return nil, err
		}
		return &Selector{SQL: e}, nil
	}
	return nil, fmt.Errorf("unsupported expression type %q (want %s or %s)", exprType, TypeTag, TypeSQL92)
}

// MatchTagsCode is the consume queue stage. A SQL92 selector passes every
// entry on to MatchProperties.
func (s *Selector) MatchTagsCode(tagsCode int64) bool {
	return s.Tags == nil || s.Tags.MatchCode(tagsCode)
}

// NeedsProperties reports whether MatchProperties can reject anything, so
// a broker can skip reading properties for tag subscriptions.
func (s *Selector) NeedsProperties() bool { return s.SQL != nil }

// MatchProperties is the commit log stage; a tag selector passes every
// message (the tags code already decided).
func (s *Selector) MatchProperties(props Lookup) bool {
	return s.SQL == nil || s.SQL.Match(props)
}
