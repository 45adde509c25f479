package memstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) Export(ctx context.Context, fn func(store.Record) error) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	// A snapshot, so fn may take its time (and even call the store).
	var recs []store.Record
	for _, id := range slices.Sorted(maps.Keys(s.merchants)) {
		m := cloneMerchant(s.merchants[id])
		recs = append(recs, store.Record{Merchant: &m})
	}
	for _, id := range slices.Sorted(maps.Keys(s.users)) {
		u := s.users[id]
		recs = append(recs, store.Record{User: &u})
	}
	for _, id := range slices.Sorted(maps.Keys(s.accounts)) {
		a := s.accounts[id]
		recs = append(recs, store.Record{Account: &a})
	}
	for _, id := range slices.Sorted(maps.Keys(s.terminals)) {
		t := cloneTerminal(s.terminals[id])
		recs = append(recs, store.Record{Terminal: &t})
	}
	for _, id := range slices.Sorted(maps.Keys(s.auths)) {
		a := cloneAuthorization(s.auths[id])
		recs = append(recs, store.Record{Authorization: &a})
	}
	for _, e := range s.entries {
		e := cloneEntry(e)
		recs = append(recs, store.Record{Entry: &e})
	}
	txnKeys := slices.SortedFunc(maps.Keys(s.txns), func(a, b store.TxnKey) int {
		return cmp.Or(cmp.Compare(a.TerminalID, b.TerminalID), cmp.Compare(a.TerminalTxnID, b.TerminalTxnID))
	})
	for _, k := range txnKeys {
		t := cloneTxn(s.txns[k])
		recs = append(recs, store.Record{Txn: &t})
	}
	usedKeys := slices.SortedFunc(maps.Keys(s.used), func(a, b usedKey) int {
		return cmp.Or(cmp.Compare(a.auth, b.auth), cmp.Compare(a.counter, b.counter))
	})
	for _, k := range usedKeys {
		u := s.used[k]
		recs = append(recs, store.Record{UsedCode: &u})
	}
	recs = append(recs, s.exportOrders()...)
	for _, k := range slices.Sorted(maps.Keys(s.sessions)) {
		ss := s.sessions[k]
		ss.TokenHash = bytes.Clone(ss.TokenHash)
		recs = append(recs, store.Record{Session: &ss})
	}
	nonceKeys := slices.SortedFunc(maps.Keys(s.nonces), func(a, b nonceKey) int {
		return cmp.Or(cmp.Compare(a.terminal, b.terminal), cmp.Compare(a.nonce, b.nonce))
	})
	for _, k := range nonceKeys {
		recs = append(recs, store.Record{Nonce: &store.Nonce{TerminalID: k.terminal, Nonce: k.nonce, ExpiresAt: s.nonces[k]}})
	}
	failKeys := slices.SortedFunc(maps.Keys(s.failures), func(a, b store.Subject) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	for _, k := range failKeys {
		f := s.failures[k]
		f.Times = slices.Clone(f.Times)
		recs = append(recs, store.Record{Failures: &f})
	}
	s.mu.Unlock()
	for _, r := range recs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Import checks every record first (so that a bad one writes nothing), then writes them all.
func (s *engine) Import(ctx context.Context, recs []store.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for i, r := range recs {
		key, err := s.importKey(r)
		if err == nil && seen[key] {
			err = fmt.Errorf("%w: %s twice", store.ErrExists, key)
		}
		if err != nil {
			return fmt.Errorf("memstore: import record %d: %w", i, err)
		}
		seen[key] = true
	}
	for _, r := range recs {
		s.importRecord(r)
	}
	return nil
}

// importKey validates r and names it; ErrExists if the store has it already.
func (s *engine) importKey(r store.Record) (string, error) {
	has := func(ok bool, what string) (string, error) {
		if ok {
			return "", fmt.Errorf("%w: %s", store.ErrExists, what)
		}
		return what, nil
	}
	switch {
	case r.Merchant != nil:
		if err := ledger.ValidID("merchant_id", r.Merchant.ID); err != nil {
			return "", err
		}
		_, ok := s.merchants[r.Merchant.ID]
		return has(ok, "merchant "+r.Merchant.ID)
	case r.User != nil:
		if err := ledger.ValidID("user_id", r.User.ID); err != nil {
			return "", err
		}
		_, ok := s.users[r.User.ID]
		return has(ok, "user "+r.User.ID)
	case r.Account != nil:
		if r.Account.ID == "" || len(r.Account.ID) > 2*store.MaxIDLen {
			return "", fmt.Errorf("%w: account id", store.ErrInvalidArgument)
		}
		_, ok := s.accounts[r.Account.ID]
		return has(ok, "account "+r.Account.ID)
	case r.Terminal != nil:
		if err := ledger.ValidID("terminal_id", r.Terminal.ID); err != nil {
			return "", err
		}
		if err := ledger.ValidHash("enrollment code hash", r.Terminal.EnrollCodeHash); err != nil {
			return "", err
		}
		_, ok := s.terminals[r.Terminal.ID]
		return has(ok, "terminal "+r.Terminal.ID)
	case r.Authorization != nil:
		if err := ledger.ValidID("authorization_id", r.Authorization.ID); err != nil {
			return "", err
		}
		_, ok := s.auths[r.Authorization.ID]
		return has(ok, "authorization "+r.Authorization.ID)
	case r.Entry != nil:
		if r.Entry.ID != uint64(len(s.entries))+1 && r.Entry.ID <= uint64(len(s.entries)) {
			return "", fmt.Errorf("%w: entry %d", store.ErrExists, r.Entry.ID)
		}
		if r.Entry.ID == 0 {
			return "", fmt.Errorf("%w: entry without id", store.ErrInvalidArgument)
		}
		return fmt.Sprintf("entry %d", r.Entry.ID), nil
	case r.Txn != nil:
		if r.Txn.Seq == 0 {
			return "", fmt.Errorf("%w: txn without seq", store.ErrInvalidArgument)
		}
		if err := ledger.ValidateStoredTxn(*r.Txn); err != nil {
			return "", err
		}
		_, ok := s.txns[r.Txn.Key]
		taken := r.Txn.Seq <= uint64(len(s.bySeq)) && s.bySeq[r.Txn.Seq-1] != (store.TxnKey{})
		return has(ok || taken, "txn "+r.Txn.Key.String())
	case r.UsedCode != nil:
		if err := ledger.ValidID("authorization_id", r.UsedCode.AuthorizationID); err != nil {
			return "", err
		}
		_, ok := s.used[usedKey{r.UsedCode.AuthorizationID, r.UsedCode.Counter}]
		return has(ok, fmt.Sprintf("used code %s/%d", r.UsedCode.AuthorizationID, r.UsedCode.Counter))
	case r.Session != nil:
		if err := ledger.ValidHash("token hash", r.Session.TokenHash); err != nil {
			return "", err
		}
		_, ok := s.sessions[string(r.Session.TokenHash)]
		return has(ok, "session "+string(r.Session.TokenHash))
	case r.Nonce != nil:
		if err := ledger.ValidNonce(*r.Nonce); err != nil {
			return "", err
		}
		_, ok := s.nonces[nonceKey{r.Nonce.TerminalID, r.Nonce.Nonce}]
		return has(ok, "nonce "+r.Nonce.TerminalID+"/"+r.Nonce.Nonce)
	case r.Order != nil:
		if err := ledger.ValidateStoredOrder(*r.Order); err != nil {
			return "", err
		}
		_, ok := s.orders.byID[r.Order.ID]
		_, keyTaken := s.orders.byKey[[2]string{r.Order.TerminalID, r.Order.TerminalOrderID}]
		seqTaken := r.Order.Seq <= uint64(len(s.orders.seq)) && s.orders.seq[r.Order.Seq-1] != ""
		return has(ok || keyTaken || seqTaken, "order "+r.Order.ID)
	case r.Failures != nil:
		if err := ledger.ValidSubject(r.Failures.Subject); err != nil {
			return "", err
		}
		_, ok := s.failures[r.Failures.Subject]
		return has(ok, "failures "+string(r.Failures.Subject.Kind)+"/"+r.Failures.Subject.ID)
	}
	return "", fmt.Errorf("%w: empty record", store.ErrInvalidArgument)
}

// importRecord writes a checked record verbatim.
func (s *engine) importRecord(r store.Record) {
	switch {
	case r.Merchant != nil:
		s.merchants[r.Merchant.ID] = cloneMerchant(*r.Merchant)
	case r.User != nil:
		s.users[r.User.ID] = *r.User
	case r.Account != nil:
		s.accounts[r.Account.ID] = *r.Account
	case r.Terminal != nil:
		t := cloneTerminal(*r.Terminal)
		s.terminals[t.ID] = t
		s.termByCode[string(t.EnrollCodeHash)] = t.ID
	case r.Authorization != nil:
		s.auths[r.Authorization.ID] = cloneAuthorization(*r.Authorization)
	case r.Entry != nil:
		for uint64(len(s.entries)) < r.Entry.ID {
			s.entries = append(s.entries, store.Entry{})
		}
		s.entries[r.Entry.ID-1] = cloneEntry(*r.Entry)
	case r.Txn != nil:
		t := cloneTxn(*r.Txn)
		memTx{s}.InsertTxn(&t)
	case r.UsedCode != nil:
		s.used[usedKey{r.UsedCode.AuthorizationID, r.UsedCode.Counter}] = *r.UsedCode
	case r.Session != nil:
		ss := *r.Session
		ss.TokenHash = bytes.Clone(ss.TokenHash)
		s.sessions[string(ss.TokenHash)] = ss
	case r.Nonce != nil:
		s.nonces[nonceKey{r.Nonce.TerminalID, r.Nonce.Nonce}] = ledger.Norm(r.Nonce.ExpiresAt)
	case r.Order != nil:
		s.importOrder(*r.Order)
	case r.Failures != nil:
		f := *r.Failures
		f.Times = slices.Clone(f.Times)
		s.failures[f.Subject] = f
	}
}
