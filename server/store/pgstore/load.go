package pgstore

import (
	"github.com/jackc/pgx/v5"

	"github.com/stillpay/stillpay/server/store"
)

// keySet names rows a group of ops may read.
type keySet struct {
	txns      []store.TxnKey
	terminals []string
	merchants []string
	auths     []string
	accounts  []string
	used      []usedKey
	subjects  []store.Subject
}

// keysFor is everything the ops may look up: their keys and void/refund targets, terminals (with their
// merchants), authorizations (with their customer and hold accounts), used codes and failure counters.
func keysFor(ops []store.PaymentOp) keySet {
	var k keySet
	seenTerm := map[string]bool{}
	seenAuth := map[string]bool{}
	seenSub := map[store.Subject]bool{}
	for _, op := range ops {
		k.txns = append(k.txns, op.Key)
		if op.TargetTxnID != "" {
			k.txns = append(k.txns, store.TxnKey{TerminalID: op.Key.TerminalID, TerminalTxnID: op.TargetTxnID})
		}
		if !seenTerm[op.Key.TerminalID] {
			seenTerm[op.Key.TerminalID] = true
			k.terminals = append(k.terminals, op.Key.TerminalID)
		}
		if op.AuthorizationID != "" {
			if !seenAuth[op.AuthorizationID] {
				seenAuth[op.AuthorizationID] = true
				k.auths = append(k.auths, op.AuthorizationID)
			}
			k.used = append(k.used, usedKey{op.AuthorizationID, op.CodeCounter})
		}
		if (op.Decline != nil && op.Decline.CountFailure) || op.Throttle != nil {
			for _, sub := range []store.Subject{{Kind: store.SubjectUser, ID: op.UserID}, {Kind: store.SubjectTerminal, ID: op.Key.TerminalID}} {
				if sub.ID != "" && !seenSub[sub] {
					seenSub[sub] = true
					k.subjects = append(k.subjects, sub)
				}
			}
		}
	}
	return k
}

// Bulk reads. SERIALIZABLE alone makes read-decide-write correct: a concurrent writer that changed a
// row read here makes one of the two transactions fail with 40001, and it runs again. The rows a group
// changes are read with lockRows appended (see there).
const (
	selectTxnsSQL = `SELECT ` + txnCols + ` FROM txns
		WHERE (terminal_id, terminal_txn_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
	selectTerminalsSQL = `SELECT ` + terminalCols + ` FROM terminals WHERE id = ANY($1::text[])`
	selectMerchantsSQL = `SELECT ` + merchantCols + ` FROM merchants WHERE id IN (
		SELECT unnest($1::text[])
		UNION ALL SELECT merchant_id FROM terminals WHERE id = ANY($2::text[]))`
	selectAuthsSQL = `SELECT ` + authCols + ` FROM authorizations WHERE id = ANY($1::text[])` + lockRows
	// The accounts the ops move money on: named ones, those of the authorizations, the merchants of
	// the terminals, and the customers of void/refund targets. IN (... UNION ALL ...) plans as a
	// semi-join on the primary key, not a scan.
	selectAccountsSQL = `SELECT id, balance FROM accounts WHERE id IN (
		SELECT unnest($1::text[])
		UNION ALL SELECT account_id FROM authorizations WHERE id = ANY($2::text[])
		UNION ALL SELECT hold_account_id FROM authorizations WHERE id = ANY($2::text[])
		UNION ALL SELECT m.account_id FROM merchants AS m JOIN terminals AS t ON t.merchant_id = m.id WHERE t.id = ANY($3::text[])
		UNION ALL SELECT account_id FROM txns WHERE (terminal_id, terminal_txn_id) IN (SELECT * FROM unnest($4::text[], $5::text[]))
	)` + lockRows
	selectUsedSQL = `SELECT authorization_id, counter FROM used_codes
		WHERE (authorization_id, counter) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))`
	selectFailuresSQL = `SELECT ` + failureCols + ` FROM code_failures
		WHERE (kind, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
)

// load reads the rows of k that the snapshot does not know yet in one round trip, and marks the ones
// the database lacks as absent. With derived set, it also reads the rows k's rows point at (merchants
// of terminals, accounts of authorizations, merchants and targets): the group's prefetch.
func (s *snapshot) load(k keySet, derived bool) error {
	b := &pgx.Batch{}
	if s.preload != nil {
		s.preload(b)
	}
	var txnTerm, txnID []string
	for _, key := range k.txns {
		if _, ok := s.txns[key]; !ok {
			txnTerm, txnID = append(txnTerm, key.TerminalID), append(txnID, key.TerminalTxnID)
		}
	}
	terms := unknown(k.terminals, s.terminals)
	auths := unknown(k.auths, s.auths)
	if len(txnTerm) > 0 {
		b.Queue(selectTxnsSQL, txnTerm, txnID).Query(func(rows pgx.Rows) error {
			txns, err := collect(rows, scanTxn)
			for _, t := range txns {
				s.txns[t.Key] = &t
			}
			return err
		})
	}
	if len(terms) > 0 {
		b.Queue(selectTerminalsSQL, terms).Query(func(rows pgx.Rows) error {
			ts, err := collect(rows, scanTerminal)
			for _, t := range ts {
				s.terminals[t.ID] = &t
			}
			return err
		})
	}
	merchantsByTerminal := []string{}
	if derived {
		merchantsByTerminal = terms
	}
	if ms := unknown(k.merchants, s.merchants); len(ms) > 0 || len(merchantsByTerminal) > 0 {
		b.Queue(selectMerchantsSQL, ms, merchantsByTerminal).Query(func(rows pgx.Rows) error {
			ms, err := collect(rows, scanMerchant)
			for _, m := range ms {
				s.merchants[m.ID] = &m
			}
			return err
		})
	}
	if len(auths) > 0 {
		b.Queue(selectAuthsSQL, auths).Query(func(rows pgx.Rows) error {
			as, err := collect(rows, scanAuthorization)
			for _, a := range as {
				s.auths[a.ID] = &a
			}
			return err
		})
	}
	accts := unknown(k.accounts, s.balances)
	derivedAuths, derivedTerms, derivedTxnTerm, derivedTxnID := []string{}, []string{}, []string{}, []string{}
	if derived {
		derivedAuths, derivedTerms, derivedTxnTerm, derivedTxnID = auths, terms, txnTerm, txnID
	}
	if len(accts) > 0 || len(derivedAuths) > 0 || len(derivedTerms) > 0 || len(derivedTxnTerm) > 0 {
		b.Queue(selectAccountsSQL, accts, derivedAuths, derivedTerms, derivedTxnTerm, derivedTxnID).Query(func(rows pgx.Rows) error {
			defer rows.Close()
			for rows.Next() {
				var id string
				var bal int64
				if err := rows.Scan(&id, &bal); err != nil {
					return err
				}
				if _, known := s.balances[id]; !known {
					s.balances[id] = &bal
				}
			}
			return rows.Err()
		})
	}
	var usedAuth []string
	var usedCounter []int64
	for _, u := range k.used {
		if _, ok := s.used[u]; !ok {
			usedAuth, usedCounter = append(usedAuth, u.auth), append(usedCounter, int64(u.counter))
		}
	}
	if len(usedAuth) > 0 {
		b.Queue(selectUsedSQL, usedAuth, usedCounter).Query(func(rows pgx.Rows) error {
			defer rows.Close()
			for rows.Next() {
				var auth string
				var counter int64
				if err := rows.Scan(&auth, &counter); err != nil {
					return err
				}
				s.used[usedKey{auth, uint64(counter)}] = true
			}
			return rows.Err()
		})
	}
	var subKind, subID []string
	for _, sub := range k.subjects {
		if _, ok := s.failures[sub]; !ok {
			subKind, subID = append(subKind, string(sub.Kind)), append(subID, sub.ID)
		}
	}
	if len(subKind) > 0 {
		b.Queue(selectFailuresSQL, subKind, subID).Query(func(rows pgx.Rows) error {
			fs, err := collect(rows, scanFailures)
			for _, f := range fs {
				s.failures[f.Subject] = &f
			}
			return err
		})
	}
	if b.Len() == 0 {
		return nil
	}
	if err := s.tx.SendBatch(s.ctx, b).Close(); err != nil {
		return err
	}
	// Whatever was asked for and not found is absent.
	for i := range txnTerm {
		key := store.TxnKey{TerminalID: txnTerm[i], TerminalTxnID: txnID[i]}
		if _, ok := s.txns[key]; !ok {
			s.txns[key] = nil
		}
	}
	markAbsent(terms, s.terminals)
	markAbsent(unknown(k.merchants, s.merchants), s.merchants)
	markAbsent(auths, s.auths)
	markAbsent(accts, s.balances)
	for i := range usedAuth {
		key := usedKey{usedAuth[i], uint64(usedCounter[i])}
		if _, ok := s.used[key]; !ok {
			s.used[key] = false
		}
	}
	for i := range subKind {
		sub := store.Subject{Kind: store.SubjectKind(subKind[i]), ID: subID[i]}
		if _, ok := s.failures[sub]; !ok {
			s.failures[sub] = nil
		}
	}
	return nil
}

// unknown returns the ids that m has no entry for (present or absent).
func unknown[V any](ids []string, m map[string]*V) []string {
	var out []string
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

func markAbsent[V any](ids []string, m map[string]*V) {
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			m[id] = nil
		}
	}
}

// lockRows is appended to the reads of the rows a group updates (authorizations, balances). It is
// empty: on PostgreSQL, FOR UPDATE would write a lock into each of those rows (WAL and dirty pages)
// just before the group updates them anyway, and SERIALIZABLE already catches every conflict.
const lockRows = ""
