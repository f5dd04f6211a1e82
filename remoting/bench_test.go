package remoting

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// sendV2Request is a typical SEND_MESSAGE_V2 (310) request from a Java
// producer: the short-key header and a 1 KiB body.
func sendV2Request(st SerializeType) *Command {
	return &Command{
		Code: 310, Language: LanguageJava, Version: 409, Opaque: 123456,
		ExtFields: map[string]string{
			"a": "please_rename_unique_group_name", "b": "BenchTopic", "c": "TBW102", "d": "4",
			"e": "3", "f": "0", "g": "1795249318190", "h": "0",
			"i": "UNIQ_KEY\x017F0000010B5E18B4AAC25A6E4C7A0000\x02WAIT\x01true\x02TAGS\x01TagA\x02",
			"j": "0", "k": "false", "l": "16", "m": "false", "n": "broker-a",
		},
		Body:          bytes.Repeat([]byte("x"), 1024),
		SerializeType: st,
	}
}

var serializeTypes = []SerializeType{SerializeJSON, SerializeRocketMQ}

// BenchmarkEncode measures what a connection does per frame: the head
// (prefix + header) into a reused buffer; the body goes out by writev.
// encoding-json is the baseline: encoding/json marshalling the same header.
func BenchmarkEncode(b *testing.B) {
	for _, st := range serializeTypes {
		c := sendV2Request(st)
		b.Run(st.String(), func(b *testing.B) {
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = appendHead(buf[:0], c, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("baseline-encoding-json", func(b *testing.B) {
		c := sendV2Request(SerializeJSON)
		h := jsonHeaderStruct{Code: c.Code, ExtFields: c.ExtFields, Flag: c.Flag, Language: "JAVA", Opaque: c.Opaque,
			SerializeTypeCurrentRPC: "JSON", Version: c.Version}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type jsonHeaderStruct struct {
	Code                    int32             `json:"code"`
	ExtFields               map[string]string `json:"extFields,omitempty"`
	Flag                    int32             `json:"flag"`
	Language                string            `json:"language"`
	Opaque                  int32             `json:"opaque"`
	Remark                  string            `json:"remark,omitempty"`
	SerializeTypeCurrentRPC string            `json:"serializeTypeCurrentRPC"`
	Version                 int32             `json:"version"`
}

// BenchmarkDecode measures what a connection does per frame: read and decode
// one frame from a buffered stream. baseline-encoding-json unmarshals the
// same JSON header with encoding/json.
func BenchmarkDecode(b *testing.B) {
	for _, st := range serializeTypes {
		frame := mustEncode(b, sendV2Request(st))
		b.Run(st.String(), func(b *testing.B) {
			var fr frameReader
			r := bytes.NewReader(frame)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				r.Reset(frame)
				if _, err := fr.read(r, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("baseline-encoding-json", func(b *testing.B) {
		frame := mustEncode(b, sendV2Request(SerializeJSON))
		hdr := frame[8 : 8+int(binary.BigEndian.Uint32(frame[4:])&maxHeaderLen)]
		b.ReportAllocs()
		for b.Loop() {
			var h jsonHeaderStruct
			if err := json.Unmarshal(hdr, &h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRoundTrip: sync calls over loopback on ONE client connection with
// 1, 16 and 64 concurrent callers, against an echo handler (128-byte body).
// baseline-raw-tcp is one caller ping-ponging the same frame bytes over a
// bare TCP connection with no decoding: the floor loopback allows.
func BenchmarkRoundTrip(b *testing.B) {
	s := NewServer(ServerConfig{Addr: "127.0.0.1:0", Logger: discardLogger()})
	s.Handle(codeEcho, NewPool("bench", 8, 100000), echoHandler)
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	addr := s.Addr().String()
	body := bytes.Repeat([]byte("y"), 128)

	for _, callers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			c := NewClient(ClientConfig{Logger: discardLogger()})
			defer c.Close()
			ctx := context.Background()
			if _, err := c.InvokeSync(ctx, addr, NewRequest(codeEcho, nil, nil), time.Second); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			per := b.N / callers
			for g := range callers {
				n := per
				if g == 0 {
					n += b.N % callers
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range n {
						req := NewRequest(codeEcho, map[string]string{"topic": "BenchTopic", "queueId": "1"}, body)
						if _, err := c.InvokeSync(ctx, addr, req, 10*time.Second); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		})
	}

	b.Run("baseline-raw-tcp", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		frame := mustEncode(b, NewRequest(codeEcho, map[string]string{"topic": "BenchTopic", "queueId": "1"}, body))
		go func() {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
			buf := make([]byte, len(frame))
			for {
				if _, err := io.ReadFull(nc, buf); err != nil {
					return
				}
				if _, err := nc.Write(buf); err != nil {
					return
				}
			}
		}()
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		buf := make([]byte, len(frame))
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			if _, err := nc.Write(frame); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(nc, buf); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
	})
}
