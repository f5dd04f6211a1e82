// Package filter holds RocketMQ's two message filter languages: tag
// expressions ("TagA || TagB", "*") and the SQL92 subset that selects
// messages by their properties. Expressions are compiled once per
// subscription and evaluated per message on the broker's pull path. The
// package is pure: no I/O, no goroutines, standard library only.
//
// # Tags
//
// ParseTags follows upstream's FilterAPI: "" or "*" matches all; otherwise
// the expression is split at "||", each part trimmed (Java's trim), empty
// parts dropped. Tags are the tagsSet of a SubscriptionData, Codes its
// codeSet: Java String.hashCode of each tag. The broker matches the consume
// queue's tags code with MatchCode; clients match the TAGS property with
// MatchTag, which also removes hash collisions.
//
// # SQL92 grammar
//
// This is upstream's SelectorParser.jj (rocketmq-filter), keywords in any
// case:
//
//	selector   = or .
//	or         = and { "OR" and } .
//	and        = equality { "AND" equality } .
//	equality   = comparison { ( "=" | "<>" ) comparison | "IS" [ "NOT" ] "NULL" } .
//	comparison = unary { ( ">" | ">=" | "<" | "<=" ) unary
//	                   | [ "NOT" ] ( "CONTAINS" | "STARTSWITH" | "ENDSWITH" ) string
//	                   | [ "NOT" ] "BETWEEN" unary "AND" unary
//	                   | [ "NOT" ] "IN" "(" string { "," string } ")" } .
//	unary      = ( "+" | "-" | "NOT" ) unary | primary .
//	primary    = integer | decimal | string | "TRUE" | "FALSE" | "NULL"
//	           | property | "(" or ")" .
//	integer    = "0" | [1-9] { digit } [ "L" | "l" ] .            (64-bit)
//	decimal    = digits "." [ digits ] [ exp ] | "." digits [ exp ] | digits exp .
//	string     = "'" { char | "''" } "'" .
//	property   = ( letter | "_" | "$" ) { letter | digit | "_" | "$" } .  (ASCII)
//
// Comments are "-- to end of line" and "/* ... */". Precedence, loosest
// first: OR, AND, then = <> IS, then > >= < <= BETWEEN IN CONTAINS..., then
// the prefix operators. NOT is a prefix operator like unary minus, so it
// binds tighter than any comparison: "NOT a = 1" means "(NOT a) = 1"; write
// NOT (a = 1). That is upstream's grammar (inherited from ActiveMQ's JMS
// selectors), not standard SQL; we keep it so that an expression selects
// the same messages here as on a Java broker.
//
// Compile also applies upstream's checks and fails with a *SyntaxError
// that gives the 1-based column and what was expected, e.g.
// "SQL92 parse error at column 5: expected a value after '=', found end of
// input". Refused are: a condition where a value is needed and the
// reverse (AND, OR, NOT and the whole selector take conditions or a bare
// property); NULL as an operand of = or <>; TRUE/FALSE = a number or string
// constant; string, boolean or NULL constants or conditions around > >= <
// <= and BETWEEN; BETWEEN with constant bounds in the wrong order; IN on
// anything but a property; integers beyond 64 bits; decimals that are
// infinite or zero (upstream rejects 0.0 by comparing with Double.MIN_VALUE;
// write 0). Unlike upstream, which stops parsing at the first token that
// cannot continue the expression and ignores the rest, Compile refuses
// trailing tokens ("a = 1 b"). Expressions are limited to MaxExpressionLen
// bytes and MaxDepth levels of nesting.
//
// # SQL92 semantics
//
// Message properties are strings, or NULL when the message lacks them.
// Constants are Java int (integers that fit in 32 bits), long, double,
// string and boolean. As upstream:
//
//	NULL         missing property; AND, OR, NOT are SQL's three-valued logic;
//	             a message matches only when the selector is TRUE
//	x = y        both NULL: TRUE; x NULL: unknown; only y NULL: FALSE
//	x <> y       NOT (x = y)
//	x IS NULL    TRUE or FALSE, never unknown
//	x op y       (> >= < <=) either side NULL: unknown
//	BETWEEN      x >= lo AND x <= hi;  NOT BETWEEN: x < lo OR x > hi
//	IN           NULL property: unknown; otherwise membership (NOT IN negates)
//	CONTAINS     and STARTSWITH, ENDSWITH, with or without NOT: FALSE (not
//	             unknown) for a NULL or non-string operand or an empty search
//	property     as a condition: FALSE, or unknown when NULL (never TRUE)
//	-x           numbers only; anything else gives NULL
//
// Comparisons convert a string to the other side's type: Integer.valueOf
// for an int constant ("3" = 3 is TRUE; "3.0" or "3000000000" against 3 is
// a fault), Long.valueOf for a long one, Double.valueOf for a decimal
// (blanks trimmed, NaN, Infinity, 1e3, 0x1p3 and a d/f suffix accepted),
// Boolean.valueOf for TRUE/FALSE ("true" in any case). Numbers widen int
// -> long -> double. Two strings are equal when identical; ordered with
// > >= < <=, both are read as doubles. Other type pairs compare as "less":
// 1 = TRUE is FALSE. A comparison whose conversion fails, or a condition
// compared with a string, is a fault: upstream throws and the broker then
// drops the message whatever the rest of the expression says. Match
// returns false; Eval returns an *EvalError saying why. AND and OR evaluate
// left to right and stop at the first deciding operand, so
// "b = 'x' OR a > 5" matches b = x even when a is not a number.
//
// String comparisons are on bytes; Java compares UTF-16 text decoded from
// the same bytes, which gives the same answers for valid UTF-8. Java's
// number parsers also accept non-ASCII digits; ours do not.
//
// # Use on the broker
//
// Compile at heartbeat (subscription registration), at CHECK_CLIENT_CONFIG
// and at pull time when the request carries its own subscription, and
// cache the result by (group, topic, subVersion): a Selector is immutable
// and safe for concurrent use. NewSelector takes the expression type as
// sent (""/"TAG" or "SQL92", case-sensitive as upstream). Upstream's order:
// a SQL92 subscription on a broker with enablePropertyFilter off gets
// SYSTEM_ERROR "The broker does not support consumer to filter message by
// SQL92"; an expression that does not compile gets SUBSCRIPTION_PARSE_FAILED
// (put err.Error() in the remark: it names the column and what was
// expected); a pull whose heartbeat expression did not compile finds no
// filter data (FILTER_DATA_NOT_EXIST upstream). Per pull, the two stages
// map onto store.Filter:
//
//	sel, err := filter.NewSelector(h.ExpressionType, h.Subscription)
//	if err != nil { /* RespSubscriptionParseFailed, remark err.Error() */ }
//	sf := &store.Filter{TagsCode: sel.MatchTagsCode}
//	if sel.NeedsProperties() {
//		sf.Properties = func(props []byte) bool {
//			return sel.MatchProperties(func(name string) (string, bool) {
//				v, ok := protocol.LookupProperty(props, name)
//				return string(v), ok
//			})
//		}
//	}
//
// Match keeps no reference to the strings the lookup returns, so the
// lookup may instead return unsafe.String views of the commit log bytes and
// evaluate without allocating. The properties include TAGS, KEYS and the
// other system properties, as upstream's evaluation context does.
// Evaluation never allocates on its own; the 3-clause benchmark in
// bench_test.go compares it with the same lookups written by hand.
package filter
