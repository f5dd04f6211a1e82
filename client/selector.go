package client

import (
	"fmt"
	"math/rand/v2"
	"reflect"

	"github.com/rocketgo/rocketgo/protocol"
)

// SelectByHash picks the queue at javaHash(arg) mod len(queues), as
// upstream SelectMessageQueueByHash does with arg.hashCode(): strings hash
// as Java strings, integers as Java Integer/Long, so a Go and a Java
// producer put the same key in the same queue. Other values hash as the
// string fmt.Sprint gives.
func SelectByHash(queues []MessageQueue, _ *Message, arg any) MessageQueue {
	h := int64(javaHashCode(arg)) % int64(len(queues))
	if h < 0 {
		h = -h
	}
	return queues[h]
}

// SelectRandom picks a queue at random (upstream SelectMessageQueueByRandom).
func SelectRandom(queues []MessageQueue, _ *Message, _ any) MessageQueue {
	return queues[rand.IntN(len(queues))]
}

// javaHashCode is Java's hashCode of the boxed value.
func javaHashCode(v any) int32 {
	switch x := v.(type) {
	case string:
		return protocol.JavaStringHash(x)
	case []byte:
		return protocol.JavaStringHash(string(x))
	case int32:
		return x
	case int16:
		return int32(x)
	case int8:
		return int32(x)
	case uint16:
		return int32(x)
	case uint8:
		return int32(x)
	case bool:
		if x {
			return 1231
		}
		return 1237
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uintptr:
		// Long.hashCode: (int)(value ^ (value >>> 32))
		u := rv.Convert(reflect.TypeFor[uint64]()).Uint()
		return int32(u ^ (u >> 32))
	}
	return protocol.JavaStringHash(fmt.Sprint(v))
}
