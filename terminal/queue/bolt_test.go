package queue

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

func TestBoltPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	b, err := OpenBolt(path, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	r := newRecord(t, b, protocol.KindOffline, StateQueued, 250)
	b.Close()

	b, err = OpenBolt(path, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.View(context.Background(), func(tx Tx) error {
		got, err := tx.Get(r.TxnID)
		if err != nil || got.Amount != r.Amount || got.State != StateQueued {
			t.Fatalf("after reopen: %+v, %v", got, err)
		}
		return nil
	})
	if next := newRecord(t, b, protocol.KindOnline, StateWaiting, 1); next.Seq != 2 {
		t.Fatalf("sequence restarted: %d", next.Seq)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("queue file mode %v", st.Mode())
	}
}

func TestBoltRefusesCorruptFileAndKeepsIt(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]func(path string){
		"garbage": func(path string) {
			os.WriteFile(path, bytes.Repeat([]byte("not a database "), 2000), 0o600)
		},
		"truncated": func(path string) {
			b, err := OpenBolt(path, "T-1")
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 50; i++ {
				newRecord(t, b, protocol.KindOffline, StateQueued, int64(i+1))
			}
			b.Close()
			os.Truncate(path, 4096+100)
		},
		"overwritten pages": func(path string) {
			b, err := OpenBolt(path, "T-1")
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 200; i++ {
				newRecord(t, b, protocol.KindOffline, StateQueued, int64(i+1))
			}
			b.Close()
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			st, _ := f.Stat()
			// Leave both meta pages (0 and 1) intact; smash every data page's header.
			for off := int64(2 * 4096); off < st.Size(); off += 4096 {
				f.WriteAt(bytes.Repeat([]byte{0xA5}, 64), off)
			}
			f.Close()
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".db")
			damage(path)
			before, _ := os.ReadFile(path)
			_, err := OpenBolt(path, "T-1")
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), "left in place") {
				t.Errorf("message does not tell what to do: %v", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Fatal("the corrupt file was modified")
			}
		})
	}
}

func TestBoltRefusesSecondOpener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	b, err := OpenBolt(path, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := OpenBolt(path, "T-1"); !errors.Is(err, ErrLocked) {
		t.Fatalf("got %v, want ErrLocked", err)
	}
}

func TestBoltBoundToTerminalWhileItemsAreUnsent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	b, err := OpenBolt(path, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	r := newRecord(t, b, protocol.KindOffline, StateQueued, 100)
	b.Close()
	if _, err := OpenBolt(path, "T-2"); !errors.Is(err, ErrOtherTerminal) {
		t.Fatalf("got %v, want ErrOtherTerminal", err)
	}
	b, _ = OpenBolt(path, "T-1")
	r.State = StateSettled
	b.Update(context.Background(), func(tx Tx) error { return tx.Put(r) })
	b.Close()
	b, err = OpenBolt(path, "T-2")
	if err != nil {
		t.Fatalf("an empty outbox may change owner: %v", err)
	}
	b.Close()
}

// TestBoltFullDisk puts the queue on a tiny tmpfs and fills it: the write that does not fit fails
// with ErrStorage, and everything committed before it is intact and consistent.
func TestBoltFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("full-disk test needs to mount a tmpfs (root): %v %s", err, out)
	}
	defer exec.Command("umount", dir).Run()
	path := filepath.Join(dir, "queue.db")
	b, err := OpenBolt(path, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	var committed []Record
	var werr error
	for i := 0; i < 10000 && werr == nil; i++ {
		var r Record
		werr = b.Update(context.Background(), func(tx Tx) error {
			seq, err := tx.NextSeq()
			if err != nil {
				return err
			}
			r = Record{Seq: seq, TxnID: TxnID("T-1", seq), Kind: protocol.KindOffline, State: StateQueued,
				Payload: strings.Repeat("P", 900), CreatedAt: t0}
			return tx.Put(r)
		})
		if werr == nil {
			committed = append(committed, r)
		}
	}
	if !errors.Is(werr, ErrStorage) {
		t.Fatalf("filling the disk gave %v after %d records, want ErrStorage", werr, len(committed))
	}
	b.Close()
	b, err = OpenBolt(path, "T-1")
	if err != nil {
		t.Fatalf("reopen after full disk: %v", err)
	}
	defer b.Close()
	b.View(context.Background(), func(tx Tx) error {
		n, _ := tx.OutboxLen()
		if n != len(committed) {
			t.Fatalf("outbox holds %d, committed %d", n, len(committed))
		}
		return nil
	})
}

// BenchmarkDurableEnqueue measures queued offline approvals per second: one fsync'd bbolt
// transaction per enqueue, as a sale makes.
func BenchmarkDurableEnqueue(b *testing.B) {
	q, err := OpenBolt(filepath.Join(b.TempDir(), "queue.db"), "T-1")
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	payload := strings.Repeat("P", 400)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := q.Update(context.Background(), func(tx Tx) error {
			seq, err := tx.NextSeq()
			if err != nil {
				return err
			}
			if _, _, err := tx.MarkSeen(TxnID("K", seq), TxnID("T-1", seq), t0.Add(24*time.Hour)); err != nil {
				return err
			}
			return tx.Put(Record{Seq: seq, TxnID: TxnID("T-1", seq), Kind: protocol.KindOffline, State: StateQueued, Payload: payload, CreatedAt: t0})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "enqueues/s")
}
