package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/protocol"
)

// adminGet sends an admin GET with raw query text and decodes a 200 answer into v, or returns the
// problem.
func (s *stack) adminGet(path, rawQuery string, v any) (int, *protocol.Problem) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.srv.URL+path+"?"+rawQuery, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var p protocol.Problem
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			s.t.Fatalf("%s?%s: %d without a problem document", path, rawQuery, resp.StatusCode)
		}
		return resp.StatusCode, &p
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, nil
}

// TestAdminTransactionsPagingHonoursBeforeSeq pages through a terminal's transactions with
// before_seq, with and without a filter: every page starts below the last seq of the previous one
// and all transactions are seen once.
func TestAdminTransactionsPagingHonoursBeforeSeq(t *testing.T) {
	eachStore(t, func(t *testing.T, s *stack) {
		sh := s.newShop()
		ctx := context.Background()
		const n = 5
		for i := range n {
			code, err := sh.wallet.Code(s.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			ans, err := sh.term.Post(ctx, protocol.PathTransactions, protocol.TransactionRequest{TerminalTxnID: fmt.Sprintf("p%d", i), Amount: eur(100), Payload: code})
			if err != nil || ans.Status != http.StatusOK {
				t.Fatalf("payment %d: %v %d %s", i, err, ans.Status, ans.Body)
			}
		}
		for _, filter := range []string{"", "terminal_id=T1&", "merchant_id=M1&", "user_id=alice&"} {
			seen := map[string]bool{}
			before := ""
			for page := 0; ; page++ {
				var got admin.Transactions
				if st, p := s.adminGet(admin.PathTransactions, filter+"limit=2"+before, &got); p != nil {
					t.Fatalf("%q page %d: %d %+v", filter, page, st, p)
				}
				if len(got.Transactions) == 0 {
					break
				}
				if page > n {
					t.Fatalf("%q: more pages than transactions: before_seq is ignored", filter)
				}
				for _, tx := range got.Transactions {
					if seen[tx.TerminalTxnID] {
						t.Fatalf("%q page %d: %s seen twice: before_seq is ignored", filter, page, tx.TerminalTxnID)
					}
					seen[tx.TerminalTxnID] = true
				}
				before = "&before_seq=" + url.QueryEscape(fmt.Sprint(got.Transactions[len(got.Transactions)-1].Seq))
			}
			if len(seen) != n {
				t.Fatalf("%q: saw %d transactions, want %d", filter, len(seen), n)
			}
		}
		// The admin client (and the CLI's --before-seq) page the same way.
		first, err := s.admin.Transactions(ctx, admin.ListFilter{TerminalID: "T1", Limit: 3})
		if err != nil || len(first.Transactions) != 3 {
			t.Fatalf("first page: %+v %v", first, err)
		}
		next, err := s.admin.Transactions(ctx, admin.ListFilter{TerminalID: "T1", Limit: 3, BeforeSeq: first.Transactions[2].Seq})
		if err != nil || len(next.Transactions) != n-3 || next.Transactions[0].Seq >= first.Transactions[2].Seq {
			t.Fatalf("next page: %+v %v", next, err)
		}
	})
}
