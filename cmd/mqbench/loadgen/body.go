package loadgen

import "math/rand/v2"

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomBody returns size random alphanumeric bytes, as upstream's
// benchmark builds its bodies (so compression, when on, has work to do).
func RandomBody(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = alphanumeric[rand.IntN(len(alphanumeric))]
	}
	return b
}
