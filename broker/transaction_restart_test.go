package broker

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

func TestTransactionRestartKeepsPendingHalves(t *testing.T) {
	dir := t.TempDir()
	quiet := txConfig(dir, time.Hour, time.Hour)
	b := startBroker(t, quiet)
	p := newTxProducer(t, b.Addr(), "PG_Restart", "before", noChecks(t))
	var hs []half
	for i := range 6 {
		hs = append(hs, p.sendHalf("TxRestart", int32(i%4), fmt.Sprintf("m%d", i), nil))
	}
	mustCode(t, p.end(hs[0], protocol.SysFlagTransactionCommit), protocol.RespSuccess)
	mustCode(t, p.end(hs[1], protocol.SysFlagTransactionRollback), protocol.RespSuccess)
	mustCode(t, p.end(hs[2], protocol.SysFlagTransactionCommit), protocol.RespSuccess)
	// m3, m4 and m5 stay open across the restart.

	b = restartBroker(t, b, quiet)
	if n := b.trans.pendingCount(); n != 3 {
		t.Fatalf("%d pending after a restart, want 3", n)
	}
	if off := b.offsets.query(protocol.GroupTransCheck, protocol.TopicTransHalf, 0); off != hs[3].queueOffset {
		t.Fatalf("committed half offset %d, want %d (the first open half)", off, hs[3].queueOffset)
	}
	// The producer ends m3 itself after the restart; the commit made before
	// the restart cannot be repeated.
	p = newTxProducer(t, b.Addr(), "PG_Restart", "after", func(body string) int32 {
		if body == "m4" {
			return verdictBack
		}
		return verdictCommit
	})
	mustCode(t, p.end(hs[3], protocol.SysFlagTransactionCommit), protocol.RespSuccess)
	if resp := p.end(hs[0], protocol.SysFlagTransactionCommit); resp.Remark != remarkTxEnded {
		t.Fatalf("commit again after restart: %d %q", resp.Code, resp.Remark)
	}

	// Checks resolve the rest, then survive another restart.
	checking := txConfig(dir, 20*time.Millisecond, 10*time.Millisecond)
	b = restartBroker(t, b, checking)
	p = newTxProducer(t, b.Addr(), "PG_Restart", "checker", func(body string) int32 {
		if body == "m4" {
			return verdictBack
		}
		return verdictCommit
	})
	waitFor(t, 10*time.Second, "the open transactions checked", func() bool { return b.trans.pendingCount() == 0 })
	if p.checksOf("m4") == 0 || p.checksOf("m5") == 0 || p.checksOf("m3") != 0 || len(p.checked()) > 4 {
		t.Fatalf("checks after restart: %d (m4 %d, m5 %d)", len(p.checked()), p.checksOf("m4"), p.checksOf("m5"))
	}
	want := map[string]int{"m0": 1, "m2": 1, "m3": 1, "m5": 1}
	b = restartBroker(t, b, checking)
	if n := b.trans.pendingCount(); n != 0 {
		t.Fatalf("%d transactions pending after the last restart", n)
	}
	if got := bodyCounts(pullAll(t, b, "TxRestart")); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("TxRestart holds %v, want %v", got, want)
	}
}

// TestTransactionRandomOutcomes ends 1,000 transactions at random: commit,
// rollback, or unknown and then decided by a check, from four producers of
// one group, with a restart half way. Exactly the committed ones are
// delivered, once each.
func TestTransactionRandomOutcomes(t *testing.T) {
	const n = 1000
	dir := t.TempDir()
	cfg := txConfig(dir, 25*time.Millisecond, 50*time.Millisecond)
	b := startBroker(t, cfg)

	type outcome struct{ first, onCheck int32 }
	outcomes := make(map[string]outcome, n)
	committed := map[string]int{}
	states := []int32{protocol.SysFlagTransactionCommit, protocol.SysFlagTransactionRollback, protocol.SysFlagTransactionNotType}
	for i := range n {
		o := outcome{first: states[rand.IntN(3)], onCheck: states[rand.IntN(2)]}
		body := fmt.Sprintf("tx-%04d", i)
		outcomes[body] = o
		if o.first == protocol.SysFlagTransactionCommit || o.first == protocol.SysFlagTransactionNotType && o.onCheck == protocol.SysFlagTransactionCommit {
			committed[body] = 1
		}
	}
	// A check answers with the local transaction's state: the first
	// decision if there was one (its END_TRANSACTION may have been lost
	// in the restart, or be slower than the check), else the later one.
	verdict := func(body string) int32 {
		if o := outcomes[body]; o.first != protocol.SysFlagTransactionNotType {
			return o.first
		}
		return outcomes[body].onCheck
	}

	send := func(b *Broker, from, to int) {
		var wg sync.WaitGroup
		for w := range 4 {
			p := newTxProducer(t, b.Addr(), "PG_Random", fmt.Sprintf("producer-%d-%d", from, w), verdict)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := from + w; i < to; i += 4 {
					body := fmt.Sprintf("tx-%04d", i)
					h := p.sendHalf("TxRandom", int32(i%4), body, nil)
					p.endOneway(h, outcomes[body].first)
				}
			}()
		}
		wg.Wait()
	}
	send(b, 0, n/2)
	b = restartBroker(t, b, cfg)
	send(b, n/2, n)
	waitFor(t, 60*time.Second, "every transaction decided", func() bool { return b.trans.pendingCount() == 0 })

	got := bodyCounts(pullAll(t, b, "TxRandom"))
	if len(got) != len(committed) {
		t.Errorf("delivered %d distinct messages, committed %d", len(got), len(committed))
	}
	for body, c := range got {
		if c != 1 || committed[body] != 1 {
			t.Errorf("%s delivered %d times (outcome %+v)", body, c, outcomes[body])
		}
	}
	for body := range committed {
		if got[body] == 0 {
			t.Errorf("committed %s never delivered (outcome %+v)", body, outcomes[body])
		}
	}
	t.Logf("%d transactions: %d committed", n, len(committed))
}
