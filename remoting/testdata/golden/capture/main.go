//go:build ignore

// Command capture records the raw frames that github.com/apache/rocketmq-client-go/v2
// v2.1.2 puts on the wire, for the golden tests of package remoting.
//
// It runs a fake name server and a fake broker on 127.0.0.1, points a real producer at
// them, and writes every frame the producer sends to <out>/<encoding>-<code>-<n>.bin (length
// prefix included). The fakes answer just enough for the producer to finish a send:
// a one-broker route for GET_ROUTEINFO_BY_TOPIC (105) and SUCCESS for everything else.
//
// The client has no setting for its header encoding (a package variable in its
// internal/remote package that is always 0 = JSON). With -binary the program flips that
// variable to 1 (ROCKETMQ) through go:linkname, so the client's own binary encoder writes
// the frames.
//
// Run it from a scratch module outside the repository:
//
//	go mod init capture
//	go get github.com/apache/rocketmq-client-go/v2@v2.1.2
//	go run main.go -out ./frames          # JSON headers
//	go run main.go -out ./frames -binary  # ROCKETMQ headers
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
	_ "unsafe" // go:linkname

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

//go:linkname codecType github.com/apache/rocketmq-client-go/v2/internal/remote.codecType
var codecType byte

var (
	outDir = flag.String("out", "frames", "directory for the captured frames")
	binHdr = flag.Bool("binary", false, "make the client encode ROCKETMQ binary headers")
)

type recorder struct {
	mu    sync.Mutex
	count map[string]int
}

func (r *recorder) save(frame []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	enc := "json"
	if frame[4] == 1 {
		enc = "rocketmq"
	}
	code := peekCode(frame)
	key := fmt.Sprintf("%s-%d", enc, code)
	r.count[key]++
	name := filepath.Join(*outDir, fmt.Sprintf("%s-%d.bin", key, r.count[key]))
	if err := os.WriteFile(name, frame, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("captured %s (%d bytes)", name, len(frame))
}

// peekCode returns the request code of a frame without a full decoder.
func peekCode(frame []byte) int {
	hl := int(binary.BigEndian.Uint32(frame[4:8]) & 0xFFFFFF)
	hdr := frame[8 : 8+hl]
	if frame[4] == 1 {
		return int(int16(binary.BigEndian.Uint16(hdr[0:2])))
	}
	var h struct{ Code int }
	if err := json.Unmarshal(hdr, &h); err != nil {
		log.Fatal(err)
	}
	return h.Code
}

func peekOpaque(frame []byte) int32 {
	hl := int(binary.BigEndian.Uint32(frame[4:8]) & 0xFFFFFF)
	hdr := frame[8 : 8+hl]
	if frame[4] == 1 {
		return int32(binary.BigEndian.Uint32(hdr[5:9]))
	}
	var h struct{ Opaque int32 }
	if err := json.Unmarshal(hdr, &h); err != nil {
		log.Fatal(err)
	}
	return h.Opaque
}

func peekFlag(frame []byte) int32 {
	hl := int(binary.BigEndian.Uint32(frame[4:8]) & 0xFFFFFF)
	hdr := frame[8 : 8+hl]
	if frame[4] == 1 {
		return int32(binary.BigEndian.Uint32(hdr[9:13]))
	}
	var h struct{ Flag int32 }
	if err := json.Unmarshal(hdr, &h); err != nil {
		log.Fatal(err)
	}
	return h.Flag
}

// reply writes a JSON response frame (the client decodes either encoding).
func reply(w io.Writer, opaque int32, ext map[string]string, body []byte) error {
	hdr, err := json.Marshal(map[string]any{
		"code": 0, "flag": 1, "language": "JAVA", "opaque": opaque, "version": 409,
		"extFields": ext,
	})
	if err != nil {
		return err
	}
	frame := make([]byte, 8, 8+len(hdr)+len(body))
	binary.BigEndian.PutUint32(frame[0:4], uint32(4+len(hdr)+len(body)))
	binary.BigEndian.PutUint32(frame[4:8], uint32(len(hdr)))
	frame = append(append(frame, hdr...), body...)
	_, err = w.Write(frame)
	return err
}

func serve(ln net.Listener, rec *recorder, answer func(code int) (map[string]string, []byte)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			for {
				var lenBuf [4]byte
				if _, err := io.ReadFull(c, lenBuf[:]); err != nil {
					return
				}
				n := binary.BigEndian.Uint32(lenBuf[:])
				frame := make([]byte, 4+n)
				copy(frame, lenBuf[:])
				if _, err := io.ReadFull(c, frame[4:]); err != nil {
					return
				}
				rec.save(frame)
				if peekFlag(frame)&2 != 0 {
					continue // oneway: no reply
				}
				ext, body := answer(peekCode(frame))
				if err := reply(c, peekOpaque(frame), ext, body); err != nil {
					return
				}
			}
		}()
	}
}

func main() {
	flag.Parse()
	if *binHdr {
		codecType = 1
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		log.Fatal(err)
	}
	rec := &recorder{count: map[string]int{}}

	brokerLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	nsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	brokerAddr := brokerLn.Addr().String()
	route := fmt.Sprintf(`{"brokerDatas":[{"brokerAddrs":{"0":%q},"brokerName":"broker-a","cluster":"DefaultCluster"}],`+
		`"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":1,"topicSynFlag":0,"writeQueueNums":1}]}`, brokerAddr)
	go serve(nsLn, rec, func(code int) (map[string]string, []byte) {
		if code == 105 {
			return nil, []byte(route)
		}
		return nil, nil
	})
	go serve(brokerLn, rec, func(code int) (map[string]string, []byte) {
		if code == 10 || code == 310 || code == 320 {
			return map[string]string{"msgId": "7F00000100002A9F0000000000000000", "queueId": "0", "queueOffset": "0"}, nil
		}
		return nil, nil
	})

	p, err := rocketmq.NewProducer(
		producer.WithNameServer([]string{nsLn.Addr().String()}),
		producer.WithGroupName("golden_pg"),
		producer.WithRetry(0),
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := p.Start(); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msg := primitive.NewMessage("GoldenTopic", []byte("hello rocketgo"))
	msg.WithTag("TagA")
	msg.WithKeys([]string{"key1"})
	res, err := p.SendSync(ctx, msg)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("single send: %v", res)
	batch := []*primitive.Message{
		primitive.NewMessage("GoldenTopic", []byte("batch-1")),
		primitive.NewMessage("GoldenTopic", []byte("batch-2")),
	}
	res, err = p.SendSync(ctx, batch...)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("batch send: %v", res)
	if err := p.Shutdown(); err != nil {
		log.Fatal(err)
	}
}
