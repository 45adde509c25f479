package boltstore

import (
	"context"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// exportBucket calls fn with each record of a bucket of JSON records.
func exportBucket[T any](ctx context.Context, b *bolt.Bucket, wrap func(*T) store.Record, fn func(store.Record) error) error {
	return b.ForEach(func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := new(T)
		if err := getJSONRaw(v, string(k), rec); err != nil {
			return err
		}
		return fn(wrap(rec))
	})
}

// exportBinary calls fn with each record of a bucket of binary records.
func exportBinary[T any](ctx context.Context, b *bolt.Bucket, decode func([]byte) (T, error), wrap func(*T) store.Record, fn func(store.Record) error) error {
	return b.ForEach(func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := decode(v)
		if err != nil {
			return err
		}
		return fn(wrap(&rec))
	})
}

// exportAuthData calls fn with the records of one kind (tag) in bktAuthData.
func exportAuthData[T any](ctx context.Context, b *bolt.Bucket, tag byte, decode func([]byte) (T, error), wrap func(*T) store.Record, fn func(store.Record) error) error {
	return b.ForEach(func(k, v []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, t, _, ok := splitAuthKey(k); !ok || t != tag {
			return nil
		}
		rec, err := decode(v)
		if err != nil {
			return err
		}
		return fn(wrap(&rec))
	})
}

func (s *engine) Export(ctx context.Context, fn func(store.Record) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		steps := []func() error{
			func() error {
				return exportBucket(ctx, tx.Bucket(bktMerchants), func(v *store.Merchant) store.Record { return store.Record{Merchant: v} }, fn)
			},
			func() error {
				return exportBucket(ctx, tx.Bucket(bktUsers), func(v *store.User) store.Record { return store.Record{User: v} }, fn)
			},
			func() error {
				return tx.Bucket(bktAccounts).ForEach(func(k, _ []byte) error {
					if err := ctx.Err(); err != nil {
						return err
					}
					a, err := readAccount(tx, string(k))
					if err != nil {
						return err
					}
					return fn(store.Record{Account: &a})
				})
			},
			func() error {
				return exportBucket(ctx, tx.Bucket(bktTerminals), func(v *store.Terminal) store.Record { return store.Record{Terminal: v} }, fn)
			},
			func() error {
				return exportAuthData(ctx, tx.Bucket(bktAuthData), tagAuth, authOnly, func(v *store.Authorization) store.Record { return store.Record{Authorization: v} }, fn)
			},
			func() error {
				return exportBinary(ctx, tx.Bucket(bktEntries), decodeEntry, func(v *store.Entry) store.Record { return store.Record{Entry: v} }, fn)
			},
			func() error {
				return exportBinary(ctx, tx.Bucket(bktTxns), decodeTxn, func(v *store.Txn) store.Record { return store.Record{Txn: v} }, fn)
			},
			func() error {
				return exportUsedCodes(ctx, tx, fn)
			},
			func() error {
				return exportOrders(ctx, tx, fn)
			},
			func() error {
				return exportBucket(ctx, tx.Bucket(bktSessions), func(v *store.Session) store.Record { return store.Record{Session: v} }, fn)
			},
			func() error {
				// nonce_by_expiry holds every nonce, whichever layout wrote it (useNonce).
				return tx.Bucket(bktNonceByExpiry).ForEach(func(k, _ []byte) error {
					if err := ctx.Err(); err != nil {
						return err
					}
					if len(k) < 8 {
						return fmt.Errorf("boltstore: corrupt nonce key %x", k)
					}
					term, nonce := splitPair(k[8:])
					return fn(store.Record{Nonce: &store.Nonce{TerminalID: term, Nonce: nonce, ExpiresAt: timeFromKey(k[:8])}})
				})
			},
			func() error {
				return exportBucket(ctx, tx.Bucket(bktFailures), func(v *store.Failures) store.Record { return store.Record{Failures: v} }, fn)
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
}

// exportUsedCodes emits each authorization's used codes, in counter order, with the terminal, txn and
// time taken from the approved payment that used each (found through the authorization's txn list).
func exportUsedCodes(ctx context.Context, tx *bolt.Tx, fn func(store.Record) error) error {
	c := tx.Bucket(bktAuthData).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		id, tag, _, ok := splitAuthKey(k)
		if !ok || tag != tagAuth {
			continue
		}
		_, used, err := decodeAuthorization(v)
		if err != nil {
			return err
		}
		if len(used) == 0 {
			continue
		}
		payers, err := codePayers(tx, id)
		if err != nil {
			return err
		}
		for _, counter := range used {
			u := payers[counter]
			u.AuthorizationID, u.Counter = id, counter
			if err := fn(store.Record{UsedCode: &u}); err != nil {
				return err
			}
		}
	}
	return nil
}

// codePayers maps the codes of authorization id to the approved payments that used them.
func codePayers(tx *bolt.Tx, id string) (map[uint64]store.UsedCode, error) {
	out := map[uint64]store.UsedCode{}
	seqs, err := authTxnSeqs(tx.Bucket(bktAuthData), id, math.MaxUint64, math.MaxInt)
	if err != nil {
		return nil, err
	}
	bySeq, txns := tx.Bucket(bktTxnBySeq), tx.Bucket(bktTxns)
	for _, seq := range seqs {
		key := bySeq.Get(u64(seq))
		if key == nil {
			continue // Check reports it
		}
		t, err := getTxn(txns, key)
		if err != nil {
			return nil, err
		}
		if t.Kind == store.OpPayment && t.Status == store.StatusApproved && !t.Tombstone {
			out[t.CodeCounter] = store.UsedCode{TerminalID: t.Key.TerminalID, TerminalTxnID: t.Key.TerminalTxnID, At: t.SettledAt}
		}
	}
	return out, nil
}

func (s *engine) Import(ctx context.Context, recs []store.Record) error {
	if len(recs) == 0 {
		return nil
	}
	return s.w.do(ctx, len(recs), func(tx *bolt.Tx) error {
		for i, r := range recs {
			if err := s.importRecord(tx, r); err != nil {
				// Earlier records of this call are written: the whole call rolls back.
				return abort(fmt.Errorf("record %d: %w", i, err))
			}
		}
		return nil
	})
}

func exists(tx *bolt.Tx, bucket, key []byte, what string) error {
	if tx.Bucket(bucket).Get(key) != nil {
		return fmt.Errorf("%w: %s", store.ErrExists, what)
	}
	return nil
}

func (s *engine) importRecord(tx *bolt.Tx, r store.Record) error {
	switch {
	case r.Merchant != nil:
		if err := ledger.ValidID("merchant_id", r.Merchant.ID); err != nil {
			return err
		}
		if err := exists(tx, bktMerchants, []byte(r.Merchant.ID), "merchant "+r.Merchant.ID); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bktMerchants), []byte(r.Merchant.ID), r.Merchant)
	case r.User != nil:
		if err := ledger.ValidID("user_id", r.User.ID); err != nil {
			return err
		}
		if err := exists(tx, bktUsers, []byte(r.User.ID), "user "+r.User.ID); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bktUsers), []byte(r.User.ID), r.User)
	case r.Account != nil:
		if r.Account.ID == "" || len(r.Account.ID) > 2*store.MaxIDLen {
			return fmt.Errorf("%w: account id", store.ErrInvalidArgument)
		}
		if err := exists(tx, bktAccounts, []byte(r.Account.ID), "account "+r.Account.ID); err != nil {
			return err
		}
		return putAccount(tx, *r.Account)
	case r.Terminal != nil:
		if err := ledger.ValidID("terminal_id", r.Terminal.ID); err != nil {
			return err
		}
		if err := exists(tx, bktTerminals, []byte(r.Terminal.ID), "terminal "+r.Terminal.ID); err != nil {
			return err
		}
		if err := ledger.ValidHash("enrollment code hash", r.Terminal.EnrollCodeHash); err != nil {
			return err
		}
		return s.putTerminal(tx, *r.Terminal)
	case r.Authorization != nil:
		if err := ledger.ValidID("authorization_id", r.Authorization.ID); err != nil {
			return err
		}
		if err := exists(tx, bktAuthData, authKey(r.Authorization.ID), "authorization "+r.Authorization.ID); err != nil {
			return err
		}
		return putAuthorizationRecord(tx, *r.Authorization)
	case r.Entry != nil:
		if r.Entry.ID == 0 {
			return fmt.Errorf("%w: entry without id", store.ErrInvalidArgument)
		}
		if err := exists(tx, bktEntries, u64(r.Entry.ID), fmt.Sprintf("entry %d", r.Entry.ID)); err != nil {
			return err
		}
		b := tx.Bucket(bktEntries)
		if r.Entry.ID > b.Sequence() {
			if err := b.SetSequence(r.Entry.ID); err != nil {
				return err
			}
		}
		// Verbatim: balances came with the accounts, so the legs are not applied again.
		return abort(b.Put(u64(r.Entry.ID), encodeEntry(r.Entry)))
	case r.Txn != nil:
		if r.Txn.Seq == 0 {
			return fmt.Errorf("%w: txn without seq", store.ErrInvalidArgument)
		}
		if err := ledger.ValidateStoredTxn(*r.Txn); err != nil {
			return err
		}
		if err := exists(tx, bktTxns, txnKey(r.Txn.Key), "txn "+r.Txn.Key.String()); err != nil {
			return err
		}
		if err := exists(tx, bktTxnBySeq, u64(r.Txn.Seq), fmt.Sprintf("txn seq %d", r.Txn.Seq)); err != nil {
			return err
		}
		t := *r.Txn
		t.Replayed, t.Err = false, nil
		return ltx{tx: tx}.InsertTxn(&t)
	case r.UsedCode != nil:
		if err := ledger.ValidID("authorization_id", r.UsedCode.AuthorizationID); err != nil {
			return err
		}
		// The terminal, txn and time come back from the payment's txn on export.
		return ltx{tx: tx}.PutUsedCode(*r.UsedCode)
	case r.Session != nil:
		if err := ledger.ValidHash("token hash", r.Session.TokenHash); err != nil {
			return err
		}
		if err := exists(tx, bktSessions, r.Session.TokenHash, "session"); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bktSessions), r.Session.TokenHash, r.Session)
	case r.Nonce != nil:
		if err := ledger.ValidNonce(*r.Nonce); err != nil {
			return err
		}
		return useNonce(tx, *r.Nonce)
	case r.Order != nil:
		return importOrder(tx, *r.Order)
	case r.Failures != nil:
		if err := ledger.ValidSubject(r.Failures.Subject); err != nil {
			return err
		}
		k := failureKey(r.Failures.Subject)
		if err := exists(tx, bktFailures, k, "failures"); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bktFailures), k, r.Failures)
	}
	return fmt.Errorf("%w: empty record", store.ErrInvalidArgument)
}
