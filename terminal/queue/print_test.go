package queue

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/shared/protocol"
)

// printCases are print outcomes with the words the register has always been shown for them.
var printCases = []struct {
	p     Print
	words string
}{
	{Print{}, ""},
	{Print{State: PrintPrinted}, "printed"},
	{Print{State: PrintUnconfirmed}, "sent, not confirmed by the printer"},
	{Print{State: PrintNoPrinter}, "no printer"},
	{Print{State: PrintFailed, Detail: "printer out of paper; load paper, then reprint"}, "not printed: printer out of paper; load paper, then reprint"},
	{Print{State: PrintFailed, Detail: "the order had expired"}, "not printed: the order had expired"},
}

func TestPrintWords(t *testing.T) {
	for _, c := range printCases {
		if got := c.p.String(); got != c.words {
			t.Errorf("%+v.String() = %q, want %q", c.p, got, c.words)
		}
		if got := ParsePrintStatus(c.words); got != c.p {
			t.Errorf("ParsePrintStatus(%q) = %+v, want %+v", c.words, got, c.p)
		}
	}
	// Words no version wrote are kept whole, as a failed print's detail.
	if got := ParsePrintStatus("jammed"); got != (Print{State: PrintFailed, Detail: "jammed"}) {
		t.Errorf("ParsePrintStatus(jammed) = %+v", got)
	}
}

// TestOldRecordsStillOpen writes records in the form earlier versions stored (print status in words,
// "print_status" and the order's "qr_print_status") into a queue file, reopens it, and reads them
// back as Print values; a record put again is stored in the new form only.
func TestOldRecordsStillOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	b, err := OpenBolt(path, "T-1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var seqs [2]uint64
	if err := b.Update(ctx, func(tx Tx) error {
		for i := range seqs {
			if seqs[i], err = tx.NextSeq(); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	old := map[uint64]string{
		seqs[0]: `{"seq":1,"txn_id":"T-1-000000001","kind":"online","state":"approved","amount":{"minor":1250,"currency":"EUR"},` +
			`"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:01Z","printed":false,` +
			`"print_status":"not printed: printer out of paper; load paper, then reprint"}`,
		seqs[1]: `{"seq":2,"txn_id":"T-1-000000002","kind":"order","state":"paid","amount":{"minor":4250,"currency":"EUR"},` +
			`"created_at":"2026-03-01T12:00:00Z","updated_at":"2026-03-01T12:00:01Z","printed":true,"print_status":"printed",` +
			`"order":{"order_id":"O-1","qr_print_status":"sent, not confirmed by the printer","reported":true}}`,
	}
	if err := b.db.Update(func(tx *bolt.Tx) error {
		for seq, v := range old {
			if err := tx.Bucket(bucketRecords).Put(seqKey(seq), []byte(v)); err != nil {
				return err
			}
			if err := tx.Bucket(bucketIDs).Put([]byte(TxnID("T-1", seq)), seqKey(seq)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b.Close()

	b, err = OpenBolt(path, "T-1")
	if err != nil {
		t.Fatalf("a file with records of the old form does not open: %v", err)
	}
	defer b.Close()
	var sale, order Record
	b.View(ctx, func(tx Tx) error {
		sale, _ = tx.Get(TxnID("T-1", seqs[0]))
		order, err = tx.Get(TxnID("T-1", seqs[1]))
		return nil
	})
	if want := (Print{State: PrintFailed, Detail: "printer out of paper; load paper, then reprint"}); sale.Print != want {
		t.Errorf("old sale's print = %+v, want %+v", sale.Print, want)
	}
	if order.Print != (Print{State: PrintPrinted}) || order.Order == nil || order.Order.QRPrint != (Print{State: PrintUnconfirmed}) ||
		order.Order.OrderID != "O-1" || !order.Order.Reported || order.Amount.Minor != 4250 {
		t.Errorf("old order = %+v (order %+v)", order, order.Order)
	}
	if err := b.Update(ctx, func(tx Tx) error { return tx.Put(sale) }); err != nil {
		t.Fatal(err)
	}
	b.db.View(func(tx *bolt.Tx) error {
		raw := string(tx.Bucket(bucketRecords).Get(seqKey(seqs[0])))
		if strings.Contains(raw, "print_status") || !strings.Contains(raw, `"print":{"state":"not_printed"`) {
			t.Errorf("a record put again is stored as %s", raw)
		}
		return nil
	})
}

// FuzzRecordDecode: any bytes decode into a Record or fail, never panic; a decoded record encodes
// and decodes to the same states, and its print status reads back from its words.
func FuzzRecordDecode(f *testing.F) {
	for _, st := range append([]State{""}, States()...) {
		for _, c := range printCases {
			r := Record{Seq: 1, TxnID: "T-1-000000001", Kind: protocol.KindOnline, State: st, Print: c.p}
			if st.OrderFinal() || st == StateOrdering {
				r.Kind, r.Order = KindOrder, &Order{OrderID: "O-1", QRPrint: c.p}
			}
			v, err := json.Marshal(r)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(v)
		}
	}
	f.Add([]byte(`{"seq":1,"txn_id":"T","state":"approved","print_status":"not printed: paper"}`))
	f.Add([]byte(`{"seq":1,"txn_id":"T","state":"paid","order":{"qr_print_status":"printed"}}`))
	f.Add([]byte(`{"print":{"state":"printed"},"print_status":"no printer"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		if json.Unmarshal(data, &r) != nil {
			return
		}
		v, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		var again Record
		if err := json.Unmarshal(v, &again); err != nil {
			t.Fatalf("a record does not decode what it encoded: %v\n%s", err, v)
		}
		if again.State != r.State || again.Print != r.Print || (r.Order == nil) != (again.Order == nil) ||
			(r.Order != nil && again.Order.QRPrint != r.Order.QRPrint) {
			t.Fatalf("round trip changed the record: %+v -> %+v", r, again)
		}
		known := r.Print.State == PrintFailed || (r.Print.Detail == "" && r.Print.State != PrintFailed &&
			(r.Print.State == PrintNone || r.Print.State == PrintPrinted || r.Print.State == PrintUnconfirmed || r.Print.State == PrintNoPrinter))
		if known && ParsePrintStatus(r.Print.String()) != r.Print {
			t.Fatalf("print %+v reads back from %q as %+v", r.Print, r.Print.String(), ParsePrintStatus(r.Print.String()))
		}
	})
}
