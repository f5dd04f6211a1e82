package broker

import (
	"errors"
	"slices"
	"strings"

	"github.com/rocketgo/rocketgo/protocol"
)

// errSQL92 is the answer to SQL92 subscriptions until the filter package
// evaluates them; the pull or config check that meets one fails with it.
var errSQL92 = errors.New("SQL92 filtering is not implemented yet in RocketGo (only TAG subscriptions are supported)")

// tagFilter matches consume queue tags codes against a TAG subscription:
// "*" (or empty) matches everything, "a || b" the hash of either tag. Hash
// collisions let foreign tags through, which clients filter again by name,
// exactly as with upstream's broker.
type tagFilter struct {
	all   bool
	codes []int32 // sorted
}

// compileFilter builds the filter of a subscription expression.
func compileFilter(expr, exprType string) (tagFilter, error) {
	if exprType != "" && !strings.EqualFold(exprType, protocol.ExpressionTypeTag) {
		if strings.EqualFold(exprType, protocol.ExpressionTypeSQL92) {
			return tagFilter{}, errSQL92
		}
		return tagFilter{}, errors.New("unknown expression type " + quoteTrunc(exprType) + " (want TAG or SQL92)")
	}
	expr = strings.TrimSpace(expr)
	if expr == "" || expr == protocol.SubAll {
		return tagFilter{all: true}, nil
	}
	var f tagFilter
	for tag := range strings.SplitSeq(expr, "||") {
		if tag = strings.TrimSpace(tag); tag != "" {
			f.codes = append(f.codes, protocol.JavaStringHash(tag))
		}
	}
	if len(f.codes) == 0 {
		return tagFilter{all: true}, nil
	}
	slices.Sort(f.codes)
	f.codes = slices.Compact(f.codes)
	return f, nil
}

// subscriptionFilter compiles a heartbeat subscription; the tags set wins
// over the string when the client sent one.
func subscriptionFilter(sd *protocol.SubscriptionData) (tagFilter, error) {
	if len(sd.TagsSet) > 0 && (sd.ExpressionType == "" || strings.EqualFold(sd.ExpressionType, protocol.ExpressionTypeTag)) {
		return compileFilter(strings.Join(sd.TagsSet, "||"), protocol.ExpressionTypeTag)
	}
	return compileFilter(sd.SubString, sd.ExpressionType)
}

func (f *tagFilter) match(tagsCode int64) bool {
	if f.all {
		return true
	}
	_, ok := slices.BinarySearch(f.codes, int32(tagsCode))
	return ok
}

// quoteTrunc quotes a client-supplied string for a remark, cut to a sane length.
func quoteTrunc(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return "\"" + s + "\""
}
