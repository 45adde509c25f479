package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

func testMerchants(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	m := f.merchant("M1", "EUR")
	if m.AccountID != store.MerchantAccountID("M1") || !m.CreatedAt.Equal(t0) {
		t.Errorf("CreateMerchant = %+v, want default account id and the given time", m)
	}
	got, err := f.s.GetMerchant(f.ctx, "M1")
	if err != nil || got.Name != "Shop M1" || got.Currency != "EUR" {
		t.Errorf("GetMerchant = %+v, %v", got, err)
	}
	acct, err := f.s.GetAccount(f.ctx, m.AccountID)
	if err != nil || acct.Kind != store.AccountMerchant || acct.OwnerID != "M1" || acct.Balance != 0 || acct.Currency != "EUR" {
		t.Errorf("merchant account = %+v, %v", acct, err)
	}
	f.merchant("M2", "JPY")
	f.merchant("M3", "EUR")

	bad := []struct {
		name string
		m    store.Merchant
		want error
	}{
		{"duplicate", store.Merchant{ID: "M1", Currency: "EUR"}, store.ErrExists},
		{"account taken", store.Merchant{ID: "M9", Currency: "EUR", AccountID: m.AccountID}, store.ErrExists},
		{"empty id", store.Merchant{ID: "", Currency: "EUR"}, store.ErrInvalidArgument},
		{"long id", store.Merchant{ID: strings.Repeat("m", store.MaxIDLen+1), Currency: "EUR"}, store.ErrInvalidArgument},
		{"slash in id", store.Merchant{ID: "a/b", Currency: "EUR"}, store.ErrInvalidArgument},
		{"NUL in id", store.Merchant{ID: "a\x00b", Currency: "EUR"}, store.ErrInvalidArgument},
		{"space in id", store.Merchant{ID: "a b", Currency: "EUR"}, store.ErrInvalidArgument},
		{"unknown currency", store.Merchant{ID: "M9", Currency: "XXX"}, store.ErrInvalidArgument},
		{"long name", store.Merchant{ID: "M9", Currency: "EUR", Name: strings.Repeat("n", 1000)}, store.ErrInvalidArgument},
		{"too many receipt lines", store.Merchant{ID: "M9", Currency: "EUR", ReceiptHeader: make([]string, 50)}, store.ErrInvalidArgument},
	}
	for _, tc := range bad {
		_, err := f.s.CreateMerchant(f.ctx, tc.m)
		wantErr(t, "CreateMerchant "+tc.name, err, tc.want)
	}
	_, err = f.s.GetMerchant(f.ctx, "nope")
	wantErr(t, "GetMerchant unknown", err, store.ErrNotFound)

	page1, err := f.s.ListMerchants(f.ctx, store.Page{Limit: 2})
	if err != nil || len(page1) != 2 || page1[0].ID != "M1" || page1[1].ID != "M2" {
		t.Fatalf("ListMerchants page 1 = %+v, %v", page1, err)
	}
	page2, err := f.s.ListMerchants(f.ctx, store.Page{AfterID: page1[1].ID, Limit: 2})
	if err != nil || len(page2) != 1 || page2[0].ID != "M3" {
		t.Errorf("ListMerchants page 2 = %+v, %v", page2, err)
	}
	f.check()
}

func testTerminals(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.merchant("M1", "EUR")
	f.merchant("M2", "EUR")
	expires := t0.Add(time.Hour)
	created, err := f.s.CreateTerminal(f.ctx, store.Terminal{ID: "T1", MerchantID: "M1", Name: "till 1",
		EnrollCodeHash: hash("c1"), EnrollExpiresAt: expires, State: store.TerminalActive, PublicKey: pubKey(9)})
	if err != nil {
		t.Fatal(err)
	}
	if created.State != store.TerminalPending || created.PublicKey != nil {
		t.Errorf("CreateTerminal = %+v, want pending without a key whatever the caller set", created)
	}
	if _, err := f.s.CreateTerminal(f.ctx, store.Terminal{ID: "T2", MerchantID: "M1", EnrollCodeHash: hash("c2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CreateTerminal(f.ctx, store.Terminal{ID: "T3", MerchantID: "M2", EnrollCodeHash: hash("c3"), EnrollExpiresAt: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		term store.Terminal
		want error
	}{
		{"duplicate id", store.Terminal{ID: "T1", MerchantID: "M1", EnrollCodeHash: hash("other")}, store.ErrExists},
		{"code hash reused", store.Terminal{ID: "T9", MerchantID: "M1", EnrollCodeHash: hash("c1")}, store.ErrExists},
		{"unknown merchant", store.Terminal{ID: "T9", MerchantID: "nope", EnrollCodeHash: hash("c9")}, store.ErrNotFound},
		{"no code hash", store.Terminal{ID: "T9", MerchantID: "M1"}, store.ErrInvalidArgument},
		{"long code hash", store.Terminal{ID: "T9", MerchantID: "M1", EnrollCodeHash: make([]byte, store.MaxHashLen+1)}, store.ErrInvalidArgument},
		{"bad id", store.Terminal{ID: "T 9", MerchantID: "M1", EnrollCodeHash: hash("c9")}, store.ErrInvalidArgument},
	} {
		_, err := f.s.CreateTerminal(f.ctx, tc.term)
		wantErr(t, "CreateTerminal "+tc.name, err, tc.want)
	}

	enrolled, err := f.s.EnrollTerminal(f.ctx, store.Enrollment{CodeHash: hash("c1"), PublicKey: pubKey(1), Hostname: "pos-1", Version: "1.0", At: t0.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if enrolled.State != store.TerminalActive || string(enrolled.PublicKey) != string(pubKey(1)) || enrolled.Hostname != "pos-1" ||
		!enrolled.EnrolledAt.Equal(t0.Add(time.Minute)) || enrolled.MerchantID != "M1" {
		t.Errorf("EnrollTerminal = %+v", enrolled)
	}
	// A terminal that never got the answer retries with the same key and gets the same identity.
	again, err := f.s.EnrollTerminal(f.ctx, store.Enrollment{CodeHash: hash("c1"), PublicKey: pubKey(1), At: t0.Add(2 * time.Minute)})
	if err != nil || !again.EnrolledAt.Equal(enrolled.EnrolledAt) {
		t.Errorf("EnrollTerminal retry = %+v, %v; want the first enrollment", again, err)
	}
	for _, tc := range []struct {
		name string
		e    store.Enrollment
		want error
	}{
		{"code used by another key", store.Enrollment{CodeHash: hash("c1"), PublicKey: pubKey(7), At: t0}, store.ErrEnrollCodeUsed},
		{"unknown code", store.Enrollment{CodeHash: hash("nope"), PublicKey: pubKey(7), At: t0}, store.ErrNotFound},
		{"expired code", store.Enrollment{CodeHash: hash("c3"), PublicKey: pubKey(7), At: t0.Add(time.Minute)}, store.ErrEnrollCodeExpired},
		{"short key", store.Enrollment{CodeHash: hash("c2"), PublicKey: []byte{1, 2, 3}, At: t0}, store.ErrInvalidArgument},
		{"no code", store.Enrollment{PublicKey: pubKey(7), At: t0}, store.ErrInvalidArgument},
	} {
		_, err := f.s.EnrollTerminal(f.ctx, tc.e)
		wantErr(t, "EnrollTerminal "+tc.name, err, tc.want)
	}

	// A box replaced: a new code for enrolled T1. The old key works until the code is redeemed.
	rekey, err := f.s.ReissueEnrollCode(f.ctx, "T1", hash("c1-new"), t0.Add(time.Hour))
	if err != nil || rekey.State != store.TerminalRekeying || !rekey.Enrolled() || string(rekey.PublicKey) != string(pubKey(1)) {
		t.Errorf("ReissueEnrollCode = %+v, %v; want rekeying with the old key", rekey, err)
	}
	if got, err := f.s.GetTerminal(f.ctx, "T1"); err != nil || got.State != store.TerminalRekeying {
		t.Errorf("GetTerminal after reissue = %+v, %v", got, err)
	}
	_, err = f.s.EnrollTerminal(f.ctx, store.Enrollment{CodeHash: hash("c1"), PublicKey: pubKey(8), At: t0.Add(3 * time.Minute)})
	wantErr(t, "EnrollTerminal with the replaced code", err, store.ErrNotFound)
	_, err = f.s.ReissueEnrollCode(f.ctx, "T1", hash("c2"), t0.Add(time.Hour))
	wantErr(t, "ReissueEnrollCode with another terminal's code", err, store.ErrExists)
	_, err = f.s.ReissueEnrollCode(f.ctx, "nope", hash("c9"), t0.Add(time.Hour))
	wantErr(t, "ReissueEnrollCode unknown", err, store.ErrNotFound)
	rekeyed, err := f.s.EnrollTerminal(f.ctx, store.Enrollment{CodeHash: hash("c1-new"), PublicKey: pubKey(8), Hostname: "pos-1b", At: t0.Add(4 * time.Minute)})
	if err != nil || rekeyed.State != store.TerminalActive || string(rekeyed.PublicKey) != string(pubKey(8)) || rekeyed.Hostname != "pos-1b" {
		t.Errorf("EnrollTerminal with the new code = %+v, %v; want active with the new key", rekeyed, err)
	}
	if got, err := f.s.GetTerminal(f.ctx, "T1"); err != nil || string(got.PublicKey) != string(pubKey(8)) {
		t.Errorf("GetTerminal after re-enrollment = %+v, %v; want the new key", got, err)
	}
	_, err = f.s.EnrollTerminal(f.ctx, store.Enrollment{CodeHash: hash("c1-new"), PublicKey: pubKey(6), At: t0.Add(5 * time.Minute)})
	wantErr(t, "EnrollTerminal with the new code twice", err, store.ErrEnrollCodeUsed)

	revoked, err := f.s.RevokeTerminal(f.ctx, "T2", t0.Add(time.Hour))
	if err != nil || revoked.State != store.TerminalRevoked || !revoked.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("RevokeTerminal = %+v, %v", revoked, err)
	}
	twice, err := f.s.RevokeTerminal(f.ctx, "T2", t0.Add(2*time.Hour))
	if err != nil || !twice.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("RevokeTerminal twice = %+v, %v; want the first time kept", twice, err)
	}
	_, err = f.s.EnrollTerminal(f.ctx, store.Enrollment{CodeHash: hash("c2"), PublicKey: pubKey(7), At: t0})
	wantErr(t, "EnrollTerminal revoked", err, store.ErrRevoked)
	_, err = f.s.ReissueEnrollCode(f.ctx, "T2", hash("c2-new"), t0.Add(time.Hour))
	wantErr(t, "ReissueEnrollCode revoked", err, store.ErrRevoked)
	_, err = f.s.RevokeTerminal(f.ctx, "nope", t0)
	wantErr(t, "RevokeTerminal unknown", err, store.ErrNotFound)

	got, err := f.s.GetTerminal(f.ctx, "T1")
	if err != nil || got.State != store.TerminalActive || got.Name != "till 1" {
		t.Errorf("GetTerminal = %+v, %v", got, err)
	}
	_, err = f.s.GetTerminal(f.ctx, "nope")
	wantErr(t, "GetTerminal unknown", err, store.ErrNotFound)

	ofM1, err := f.s.ListTerminals(f.ctx, store.TerminalFilter{MerchantID: "M1"})
	if err != nil || len(ofM1) != 2 || ofM1[0].ID != "T1" || ofM1[1].ID != "T2" {
		t.Errorf("ListTerminals(M1) = %+v, %v", ofM1, err)
	}
	after, err := f.s.ListTerminals(f.ctx, store.TerminalFilter{MerchantID: "M1", Page: store.Page{AfterID: "T1"}})
	if err != nil || len(after) != 1 || after[0].ID != "T2" {
		t.Errorf("ListTerminals(M1 after T1) = %+v, %v", after, err)
	}
	all, err := f.s.ListTerminals(f.ctx, store.TerminalFilter{Page: store.Page{Limit: 10}})
	if err != nil || len(all) != 3 {
		t.Errorf("ListTerminals() = %d terminals, %v; want 3", len(all), err)
	}
	f.check()
}

func testUsersAndSessions(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.user("U1")
	f.user("U2")
	_, err := f.s.CreateUser(f.ctx, store.User{ID: "U1", PasswordHash: "x"})
	wantErr(t, "CreateUser duplicate", err, store.ErrExists)
	_, err = f.s.CreateUser(f.ctx, store.User{ID: "U3"})
	wantErr(t, "CreateUser without password hash", err, store.ErrInvalidArgument)
	u, err := f.s.GetUser(f.ctx, "U1")
	if err != nil || u.PasswordHash == "" || u.Name != "User U1" {
		t.Errorf("GetUser = %+v, %v", u, err)
	}
	_, err = f.s.GetUser(f.ctx, "nope")
	wantErr(t, "GetUser unknown", err, store.ErrNotFound)
	users, err := f.s.ListUsers(f.ctx, store.Page{})
	if err != nil || len(users) != 2 {
		t.Errorf("ListUsers = %+v, %v", users, err)
	}

	tok := hash("token")
	exp := t0.Add(time.Hour)
	if err := f.s.CreateSession(f.ctx, store.Session{TokenHash: tok, UserID: "U1", CreatedAt: t0, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateSession duplicate", f.s.CreateSession(f.ctx, store.Session{TokenHash: tok, UserID: "U1", ExpiresAt: exp}), store.ErrExists)
	wantErr(t, "CreateSession unknown user", f.s.CreateSession(f.ctx, store.Session{TokenHash: hash("t2"), UserID: "nope", ExpiresAt: exp}), store.ErrNotFound)
	wantErr(t, "CreateSession no expiry", f.s.CreateSession(f.ctx, store.Session{TokenHash: hash("t3"), UserID: "U1"}), store.ErrInvalidArgument)
	ss, err := f.s.GetSession(f.ctx, tok, t0.Add(time.Minute))
	if err != nil || ss.UserID != "U1" || !ss.ExpiresAt.Equal(exp) {
		t.Errorf("GetSession = %+v, %v", ss, err)
	}
	_, err = f.s.GetSession(f.ctx, tok, exp)
	wantErr(t, "GetSession at expiry", err, store.ErrNotFound)
	_, err = f.s.GetSession(f.ctx, hash("nope"), t0)
	wantErr(t, "GetSession unknown", err, store.ErrNotFound)
	if err := f.s.DeleteSession(f.ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.GetSession(f.ctx, tok, t0)
	wantErr(t, "GetSession after delete", err, store.ErrNotFound)
}

func testAccounts(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.user("U1")
	f.user("U2")
	a := f.account("A1", "U1", "EUR", 10_000)
	if a.Balance != 10_000 || a.Kind != store.AccountCustomer || a.OwnerID != "U1" {
		t.Errorf("CreateAccount = %+v", a)
	}
	f.account("A2", "U1", "EUR", 0)
	f.account("A3", "U2", "JPY", 500)
	f.wantBalances(map[string]int64{"A1": 10_000, "A2": 0, "A3": 500,
		store.SystemAccountID("EUR"): -10_000, store.SystemAccountID("JPY"): -500})
	sys, err := f.s.GetAccount(f.ctx, store.SystemAccountID("EUR"))
	if err != nil || sys.Kind != store.AccountSystem {
		t.Errorf("system account = %+v, %v", sys, err)
	}
	for _, tc := range []struct {
		name    string
		a       store.Account
		opening int64
		want    error
	}{
		{"duplicate", store.Account{ID: "A1", OwnerID: "U1", Currency: "EUR"}, 0, store.ErrExists},
		{"unknown user", store.Account{ID: "A9", OwnerID: "nope", Currency: "EUR"}, 0, store.ErrNotFound},
		{"negative opening", store.Account{ID: "A9", OwnerID: "U1", Currency: "EUR"}, -1, store.ErrInvalidArgument},
		{"bad currency", store.Account{ID: "A9", OwnerID: "U1", Currency: "eur"}, 0, store.ErrInvalidArgument},
		{"system kind", store.Account{ID: "A9", OwnerID: "U1", Currency: "EUR", Kind: store.AccountSystem}, 0, store.ErrInvalidArgument},
		{"hold kind", store.Account{ID: "A9", OwnerID: "U1", Currency: "EUR", Kind: store.AccountHold}, 0, store.ErrInvalidArgument},
	} {
		_, err := f.s.CreateAccount(f.ctx, tc.a, tc.opening, t0)
		wantErr(t, "CreateAccount "+tc.name, err, tc.want)
	}
	_, err = f.s.GetAccount(f.ctx, "nope")
	wantErr(t, "GetAccount unknown", err, store.ErrNotFound)

	ofU1, err := f.s.ListAccounts(f.ctx, store.AccountFilter{OwnerID: "U1"})
	if err != nil || len(ofU1) != 2 || ofU1[0].ID != "A1" || ofU1[0].Balance != 10_000 || ofU1[1].ID != "A2" {
		t.Errorf("ListAccounts(U1) = %+v, %v", ofU1, err)
	}
	systems, err := f.s.ListAccounts(f.ctx, store.AccountFilter{Kind: store.AccountSystem})
	if err != nil || len(systems) != 2 {
		t.Errorf("ListAccounts(system) = %+v, %v", systems, err)
	}
	paged, err := f.s.ListAccounts(f.ctx, store.AccountFilter{Page: store.Page{AfterID: "A1", Limit: 1}})
	if err != nil || len(paged) != 1 || paged[0].ID != "A2" {
		t.Errorf("ListAccounts(after A1, 1) = %+v, %v", paged, err)
	}
	entries, err := f.s.ListEntries(f.ctx, store.EntryFilter{})
	if err != nil || len(entries) != 2 || entries[0].Kind != store.EntryOpening || entries[0].ID >= entries[1].ID {
		t.Fatalf("ListEntries = %+v, %v", entries, err)
	}
	rest, err := f.s.ListEntries(f.ctx, store.EntryFilter{AfterID: entries[0].ID})
	if err != nil || len(rest) != 1 || rest[0].ID != entries[1].ID {
		t.Errorf("ListEntries(after first) = %+v, %v", rest, err)
	}
	rep := f.check()
	if rep.Accounts != 5 || rep.Entries != 2 || rep.Totals["EUR"] != 0 || rep.Totals["JPY"] != 0 {
		t.Errorf("Check report = %+v", rep)
	}
}

func testAuthorizations(t *testing.T, open func(t *testing.T) store.Store) {
	f := newFx(t, open)
	f.user("U1")
	f.user("U2")
	f.account("A1", "U1", "EUR", 10_000)
	f.account("A2", "U2", "EUR", 10_000)
	f.account("A3", "U1", "JPY", 10_000)
	exp := t0.Add(24 * time.Hour)
	z := f.auth("Z1", "U1", "A1", "EUR", 1000, 5, exp)
	if z.HoldMinor != 5000 || z.HoldAccountID != store.HoldAccountID("Z1") || z.UsedCodes != 0 || z.Unreleased() != 5000 {
		t.Errorf("CreateAuthorization = %+v", z)
	}
	f.wantBalances(map[string]int64{"A1": 5000, store.HoldAccountID("Z1"): 5000})
	f.auth("Z2", "U1", "A1", "EUR", 1000, 5, exp) // exactly the rest
	f.wantBalances(map[string]int64{"A1": 0})

	for _, tc := range []struct {
		name string
		a    store.Authorization
		want error
	}{
		{"insufficient funds", authorization("Z3", "U1", "A1", "EUR", 1, 1, exp), store.ErrInsufficientFunds},
		{"not the owner", authorization("Z3", "U1", "A2", "EUR", 1, 1, exp), store.ErrNotOwner},
		{"currency mismatch", authorization("Z3", "U1", "A3", "EUR", 1, 1, exp), store.ErrCurrencyMismatch},
		{"unknown account", authorization("Z3", "U1", "nope", "EUR", 1, 1, exp), store.ErrNotFound},
		{"duplicate", authorization("Z1", "U2", "A2", "EUR", 1, 1, exp), store.ErrExists},
		{"zero cap", authorization("Z3", "U2", "A2", "EUR", 0, 1, exp), store.ErrInvalidArgument},
		{"zero codes", authorization("Z3", "U2", "A2", "EUR", 1, 0, exp), store.ErrInvalidArgument},
		{"overflowing hold", authorization("Z3", "U2", "A2", "EUR", 1<<62, 4, exp), store.ErrInvalidArgument},
		{"expired at creation", authorization("Z3", "U2", "A2", "EUR", 1, 1, t0), store.ErrInvalidArgument},
		{"no device key", func() store.Authorization {
			a := authorization("Z3", "U2", "A2", "EUR", 1, 1, exp)
			a.DevicePublicKey = nil
			return a
		}(), store.ErrInvalidArgument},
		{"no secret", func() store.Authorization {
			a := authorization("Z3", "U2", "A2", "EUR", 1, 1, exp)
			a.SealedSecret = nil
			return a
		}(), store.ErrInvalidArgument},
	} {
		_, err := f.s.CreateAuthorization(f.ctx, tc.a)
		wantErr(t, "CreateAuthorization "+tc.name, err, tc.want)
	}
	f.wantBalances(map[string]int64{"A1": 0, "A2": 10_000})

	got, err := f.s.GetAuthorization(f.ctx, "Z1")
	if err != nil || string(got.SealedSecret) != "sealed-Z1" || !got.ExpiresAt.Equal(exp) || got.HoldMinor != 5000 {
		t.Errorf("GetAuthorization = %+v, %v", got, err)
	}
	_, err = f.s.GetAuthorization(f.ctx, "nope")
	wantErr(t, "GetAuthorization unknown", err, store.ErrNotFound)
	many, err := f.s.GetAuthorizations(f.ctx, []string{"Z1", "nope", "Z2"})
	if err != nil || len(many) != 2 || many["Z2"].ID != "Z2" {
		t.Errorf("GetAuthorizations = %v, %v", many, err)
	}
	byUser, err := f.s.ListAuthorizations(f.ctx, store.AuthorizationFilter{UserID: "U1"})
	if err != nil || len(byUser) != 2 {
		t.Errorf("ListAuthorizations(U1) = %+v, %v", byUser, err)
	}
	byAcct, err := f.s.ListAuthorizations(f.ctx, store.AuthorizationFilter{AccountID: "A2"})
	if err != nil || len(byAcct) != 0 {
		t.Errorf("ListAuthorizations(A2) = %+v, %v", byAcct, err)
	}
	// Payments add codes and txns beside an authorization: listing all still yields each once.
	f.merchant("M1", "EUR")
	f.terminal("T1", "M1")
	f.apply(pay("T1", "p1", "Z1", 1, eur(10), t0.Add(time.Minute)), pay("T1", "p2", "Z1", 2, eur(10), t0.Add(time.Minute)))
	f.auth("Z0", "U2", "A2", "EUR", 10, 1, exp)
	all, err := f.s.ListAuthorizations(f.ctx, store.AuthorizationFilter{})
	if err != nil || len(all) != 3 || all[0].ID != "Z0" || all[1].ID != "Z1" || all[2].ID != "Z2" || all[1].UsedCodes != 2 {
		t.Errorf("ListAuthorizations() = %+v, %v; want Z0, Z1 (2 codes used), Z2", all, err)
	}
	after, err := f.s.ListAuthorizations(f.ctx, store.AuthorizationFilter{Page: store.Page{AfterID: "Z0", Limit: 1}})
	if err != nil || len(after) != 1 || after[0].ID != "Z1" {
		t.Errorf("ListAuthorizations(after Z0, 1) = %+v, %v; want Z1", after, err)
	}
	_, err = f.s.ListAuthorizations(f.ctx, store.AuthorizationFilter{UserID: "U1", AccountID: "A1"})
	wantErr(t, "ListAuthorizations by both", err, store.ErrInvalidArgument)

	r, err := f.s.RevokeAuthorization(f.ctx, "Z2", t0.Add(time.Hour))
	if err != nil || !r.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("RevokeAuthorization = %+v, %v", r, err)
	}
	r, err = f.s.RevokeAuthorization(f.ctx, "Z2", t0.Add(2*time.Hour))
	if err != nil || !r.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("RevokeAuthorization twice = %+v, %v; want the first time kept", r, err)
	}
	_, err = f.s.RevokeAuthorization(f.ctx, "nope", t0)
	wantErr(t, "RevokeAuthorization unknown", err, store.ErrNotFound)
	// Revocation alone moves no money: the hold waits for the grace period.
	f.wantBalances(map[string]int64{store.HoldAccountID("Z2"): 5000})
	f.check()
}
