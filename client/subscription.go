package client

import (
	"fmt"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// Selector chooses which messages of a topic a consumer gets: by tag
// expression, filtered on the broker by tag hash and again here by tag,
// or by a SQL92 expression over message properties, filtered on the
// broker only (it needs enablePropertyFilter=true).
type Selector struct {
	Type       string // protocol.ExpressionTypeTag or protocol.ExpressionTypeSQL92
	Expression string
}

// ByTag selects by tag expression: "*" or "" for every message, or tags
// joined with "||" ("TagA || TagB").
func ByTag(expr string) Selector { return Selector{Type: protocol.ExpressionTypeTag, Expression: expr} }

// BySQL selects with a SQL92 expression such as "a between 0 and 3".
func BySQL(expr string) Selector {
	return Selector{Type: protocol.ExpressionTypeSQL92, Expression: expr}
}

// buildSubscription turns a selector into the subscription brokers keep
// (upstream FilterAPI.build): tag expressions are split into the tag set
// and their Java string hashes.
func buildSubscription(topic string, sel Selector) (protocol.SubscriptionData, error) {
	sd := protocol.SubscriptionData{
		Topic:          topic,
		SubString:      strings.TrimSpace(sel.Expression),
		ExpressionType: sel.Type,
		SubVersion:     time.Now().UnixMilli(),
		TagsSet:        []string{},
		CodeSet:        protocol.CodeSet{},
	}
	if err := checkTopic(topic); err != nil {
		return sd, err
	}
	switch sel.Type {
	case "", protocol.ExpressionTypeTag:
		sd.ExpressionType = protocol.ExpressionTypeTag
		if sd.SubString == "" || sd.SubString == protocol.SubAll {
			sd.SubString = protocol.SubAll
			return sd, nil
		}
		for _, tag := range strings.Split(sd.SubString, "||") {
			if tag = strings.TrimSpace(tag); tag != "" {
				sd.TagsSet = append(sd.TagsSet, tag)
				sd.CodeSet = append(sd.CodeSet, protocol.JavaStringHash(tag))
			}
		}
		if len(sd.TagsSet) == 0 {
			return sd, fmt.Errorf("client: tag expression %q names no tag", sel.Expression)
		}
	case protocol.ExpressionTypeSQL92:
		if sd.SubString == "" {
			return sd, fmt.Errorf("client: empty SQL92 expression for topic %s", topic)
		}
	default:
		return sd, fmt.Errorf("client: unknown expression type %q (want TAG or SQL92)", sel.Type)
	}
	return sd, nil
}

// filterByTag keeps the messages whose tag is in the subscription's tag
// set: the broker filters by tag hash only, so a hash collision can let
// other tags through. Without a tag set everything is kept.
func filterByTag(msgs []*MessageExt, sd *protocol.SubscriptionData) []*MessageExt {
	if len(sd.TagsSet) == 0 || sd.ClassFilterMode {
		return msgs
	}
	kept := msgs[:0]
	for _, m := range msgs {
		for _, t := range sd.TagsSet {
			if m.Tags() == t {
				kept = append(kept, m)
				break
			}
		}
	}
	return kept
}
