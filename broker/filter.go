package broker

import (
	"strings"
	"sync"
	"unsafe"

	"github.com/rocketgo/rocketgo/filter"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// Subscriptions are compiled by the filter package into a filter.Selector:
// a tag set checked against consume queue tags codes, or a SQL92
// expression evaluated on each message's properties as the store reads it
// (upstream's ExpressionMessageFilter, without the consume queue
// extension's bitmaps). Expressions are compiled where they arrive
// (heartbeat, CHECK_CLIENT_CONFIG, a pull that carries its subscription)
// and cached by (group, topic, subVersion), so pulls never parse.

// propertyFilterOff is upstream's answer to a non-TAG subscription on a
// broker with enablePropertyFilter=false (the type is appended).
const propertyFilterOff = "The broker does not support consumer to filter message by "

// subscriptionExpr returns the expression a subscription is compiled
// from. For TAG, the client's tagsSet wins over subString unless that is
// "*": upstream matches the client's codeSet, which comes from the tags
// set, and recomputing the codes from the tags avoids trusting the codes
// sent (rocketmq-client-go sends them as strings).
func subscriptionExpr(sd *protocol.SubscriptionData) string {
	if filter.IsTagType(sd.ExpressionType) && len(sd.TagsSet) > 0 && sd.SubString != filter.SubAll {
		return strings.Join(sd.TagsSet, "||")
	}
	return sd.SubString
}

// selectorKey is (group, topic); the cached entry also remembers what it
// was compiled from, so a changed subscription is compiled again.
type selectorKey struct{ group, topic string }

type cachedSelector struct {
	subVersion int64
	exprType   string
	expr       string
	sel        *filter.Selector
	err        error
}

// maxCachedSelectors bounds the cache against clients that invent group
// names; when it is full it starts over (entries are cheap to rebuild).
const maxCachedSelectors = 4096

// selectorCache holds compiled subscriptions. The zero value is ready.
type selectorCache struct {
	mu sync.Mutex
	m  map[selectorKey]*cachedSelector
}

// compile returns the selector of group's subscription to topic, compiling
// it unless the cache holds the same version of the same expression.
// Errors (a bad expression, an unknown type) are cached as well: they are
// the parser's message for SUBSCRIPTION_PARSE_FAILED.
func (c *selectorCache) compile(group, topic string, subVersion int64, exprType, expr string) (*filter.Selector, error) {
	key := selectorKey{group, topic}
	c.mu.Lock()
	if e, ok := c.m[key]; ok && e.subVersion == subVersion && e.exprType == exprType && e.expr == expr {
		c.mu.Unlock()
		return e.sel, e.err
	}
	c.mu.Unlock()
	// Compile outside the lock: it is bounded (filter.MaxExpressionLen)
	// but not free, and other groups' pulls should not wait for it.
	sel, err := filter.NewSelector(exprType, expr)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedSelectors {
		c.m = make(map[selectorKey]*cachedSelector)
	}
	c.m[key] = &cachedSelector{subVersion: subVersion, exprType: exprType, expr: expr, sel: sel, err: err}
	c.mu.Unlock()
	return sel, err
}

// messageFilter is one pull's use of a selector. It carries the property
// lookup bound once, so evaluating a message allocates nothing: the lookup
// returns views into the record being read. It serves one store read, or
// one held pull's arrivals (under pullHolds.mu), at a time.
type messageFilter struct {
	sel    *filter.Selector
	props  []byte        // the properties under evaluation, during a match only
	lookup filter.Lookup // mf.property

	// original is set on %RETRY% pulls with filterSupportRetry: it finds
	// the SQL92 selector the group registered for a message's original
	// topic (nil: pass), which the commit log stage evaluates instead of
	// sel's.
	original func(topic string) *filter.Selector
}

func newMessageFilter(sel *filter.Selector) *messageFilter {
	mf := &messageFilter{sel: sel}
	mf.lookup = mf.property
	return mf
}

// property returns a view of a property's value in mf.props. The filter
// package keeps no reference to it past the evaluation.
func (mf *messageFilter) property(name string) (string, bool) {
	v, ok := protocol.LookupProperty(mf.props, name)
	if !ok {
		return "", false
	}
	return unsafe.String(unsafe.SliceData(v), len(v)), true
}

// matchProperties is the commit log stage, on a record's raw properties.
func (mf *messageFilter) matchProperties(props []byte) bool {
	sel := mf.sel
	if mf.original != nil {
		topic, ok := protocol.LookupProperty(props, protocol.PropertyRetryTopic)
		if !ok {
			return true
		}
		if sel = mf.original(unsafe.String(unsafe.SliceData(topic), len(topic))); sel == nil {
			return true
		}
	}
	mf.props = props
	ok := sel.MatchProperties(mf.lookup)
	mf.props = nil
	return ok
}

// matchArrival tells whether a message just dispatched can be returned to
// a held pull: the tags code, then SQL92 on its properties, as upstream's
// PullRequestHoldService does with the dispatched properties.
func (mf *messageFilter) matchArrival(tagsCode int64, props []byte) bool {
	if !mf.sel.MatchTagsCode(tagsCode) {
		return false
	}
	return !mf.needsProperties() || mf.matchProperties(props)
}

func (mf *messageFilter) needsProperties() bool {
	return mf.original != nil || mf.sel.NeedsProperties()
}

// storeFilter is the store read's view of the filter; nil when it passes
// everything, so the store skips the checks.
func (mf *messageFilter) storeFilter() *store.Filter {
	var sf store.Filter
	if t := mf.sel.Tags; t != nil && !t.All() {
		sf.TagsCode = mf.sel.MatchTagsCode
	}
	if mf.needsProperties() {
		sf.Properties = mf.matchProperties
	}
	if sf.TagsCode == nil && sf.Properties == nil {
		return nil
	}
	return &sf
}

// filterRetry is upstream's filterSupportRetry (ExpressionForRetryMessageFilter):
// a message pulled from %RETRY%<group> passes when the SQL92 subscription
// that group registered for the message's original topic (its RETRY_TOPIC
// property) accepts it, so a consumer that narrowed its expression does
// not get old messages back through retries. The retry subscription's own
// tags still apply; a message whose original subscription is not SQL92
// passes.
func (mf *messageFilter) filterRetry(clients *clientTable, retryTopic string) {
	group := strings.TrimPrefix(retryTopic, protocol.RetryTopicPrefix)
	mf.original = func(topic string) *filter.Selector {
		sub, _, _ := clients.subscription(group, topic)
		if sub == nil || sub.sel == nil || !sub.sel.NeedsProperties() {
			return nil
		}
		return sub.sel
	}
}

// quoteTrunc quotes a client-supplied string for a remark, cut to a sane length.
func quoteTrunc(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return "\"" + s + "\""
}
