package config

import (
	"fmt"
	"reflect"
	"strings"
)

// misnamings maps (lower-cased) names people write for a key to the key.
// Edit distance finds most typos; these are the ones it would not, or would
// find the wrong key for.
var misnamings = map[string]string{
	"nameserveraddr":        "namesrvAddr",
	"nameserveraddress":     "namesrvAddr",
	"namesrvaddress":        "namesrvAddr",
	"nameserver":            "namesrvAddr",
	"nameservers":           "namesrvAddr",
	"namesrv":               "namesrvAddr",
	"namesrvaddrs":          "namesrvAddr",
	"namesrv_addr":          "namesrvAddr",
	"transactionmsgtimeout": "transactionTimeOut",
	"transactiontimeout":    "transactionTimeOut",
	"brokerip":              "brokerIP1",
	"brokeraddr":            "brokerIP1",
	"clustername":           "brokerClusterName",
	"port":                  "listenPort",
	"haport":                "haListenPort",
	"delaylevel":            "messageDelayLevel",
	"storepath":             "storePathRootDir",
	"storedir":              "storePathRootDir",
	"storecheckpointpath":   "storeCheckpoint",
}

// deprecated keys are accepted but do nothing; the message says why.
var deprecated = map[string]string{
	"checkTransactionMessageEnable": "checkTransactionMessageEnable is a RocketMQ 3.x key with no effect in 4.x or RocketGo: transaction checks always run (see transactionCheckInterval, transactionCheckMax)",
}

// knownConfigs lists every config struct of the package, so an unknown key
// that belongs to another process (brokerName in namesrv.properties) gets a
// hint saying so.
var knownConfigs = []struct {
	name string
	typ  reflect.Type
}{
	{"name server", reflect.TypeOf(Namesrv{})},
	{"broker", reflect.TypeOf(Broker{})},
}

// unknownKeyMessage explains an unknown key and suggests the closest known
// one.
func unknownKeyMessage(key string, s *schema) string {
	if key == "" {
		return "a line with an empty key is ignored"
	}
	if best := suggest(key, s); best != "" {
		return fmt.Sprintf("unknown key %s is ignored: did you mean %s?", key, best)
	}
	for _, c := range knownConfigs {
		if _, ok := schemaOf(c.typ).byKey[key]; ok {
			return fmt.Sprintf("unknown key %s is ignored: it is a %s key, not one of this configuration", key, c.name)
		}
	}
	return fmt.Sprintf("unknown key %s is ignored", key)
}

// suggest returns the known key closest to key, or "" when nothing is close.
// It tries the misnamings table, then a case-insensitive match, then the
// smallest edit distance (ignoring case) within about a quarter of the key's
// length, then a known key that starts with it.
func suggest(key string, s *schema) string {
	lower := strings.ToLower(key)
	if k, ok := misnamings[lower]; ok {
		if _, known := s.byKey[k]; known {
			return k
		}
	}
	for _, f := range s.fields {
		for _, k := range append([]string{f.key}, f.aliases...) {
			if strings.ToLower(k) == lower {
				return f.key
			}
		}
	}
	limit := max(2, len(lower)/4)
	best, bestDist := "", limit+1
	for _, f := range s.fields {
		for _, k := range append([]string{f.key}, f.aliases...) {
			if d := editDistance(lower, strings.ToLower(k)); d < bestDist {
				best, bestDist = f.key, d
			}
		}
	}
	if best != "" || len(lower) < 8 {
		return best
	}
	// A key written without its suffix (autoCreateTopic for
	// autoCreateTopicEnable): the shortest key it starts.
	for _, f := range s.fields {
		if strings.HasPrefix(strings.ToLower(f.key), lower) && (best == "" || len(f.key) < len(best)) {
			best = f.key
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes (keys
// are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
