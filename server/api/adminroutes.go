package api

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

func (s *Server) adminCreateMerchant(w http.ResponseWriter, r *http.Request) {
	var req admin.MerchantRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	m, err := s.svc.CreateMerchant(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, m)
}

func (s *Server) adminListMerchants(w http.ResponseWriter, r *http.Request) {
	p, ok := page(w, r.URL.Query())
	if !ok {
		return
	}
	list, err := s.svc.Store().ListMerchants(r.Context(), p)
	s.answer(w, r, map[string]any{"merchants": nonNil(list)}, err)
}

func (s *Server) adminCreateTerminal(w http.ResponseWriter, r *http.Request) {
	var req admin.TerminalRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	t, err := s.svc.CreateTerminal(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) adminListTerminals(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := page(w, q)
	if !ok {
		return
	}
	list, err := s.svc.Store().ListTerminals(r.Context(), store.TerminalFilter{MerchantID: q.Get("merchant_id"), Page: p})
	for i := range list {
		list[i].EnrollCodeHash = nil // not secret, but of no use to an operator
	}
	s.answer(w, r, map[string]any{"terminals": nonNil(list)}, err)
}

func (s *Server) adminReissueEnrollCode(w http.ResponseWriter, r *http.Request) {
	t, err := s.svc.ReissueEnrollCode(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request) {
	if !s.passwordTransport(w, r) {
		return
	}
	var req admin.UserRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	u, err := s.svc.CreateUser(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) adminListUsers(w http.ResponseWriter, r *http.Request) {
	p, ok := page(w, r.URL.Query())
	if !ok {
		return
	}
	list, err := s.svc.Store().ListUsers(r.Context(), p)
	out := make([]admin.User, 0, len(list))
	for _, u := range list {
		out = append(out, admin.User{UserID: u.ID, Name: u.Name, CreatedAt: u.CreatedAt})
	}
	s.answer(w, r, map[string]any{"users": out}, err)
}

func (s *Server) adminCreateAccount(w http.ResponseWriter, r *http.Request) {
	var req admin.AccountRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	a, err := s.svc.CreateAccount(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) adminBalances(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := page(w, q)
	if !ok {
		return
	}
	b, err := s.svc.Balances(r.Context(), store.AccountFilter{OwnerID: q.Get("owner_id"), Kind: store.AccountKind(q.Get("kind")), Page: p})
	s.answer(w, r, b, err)
}

func (s *Server) adminTransactions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := intParam(w, q, "limit")
	if !ok {
		return
	}
	before, ok := intParam(w, q, "before_seq")
	if !ok {
		return
	}
	f := store.TxnFilter{TerminalID: q.Get("terminal_id"), MerchantID: q.Get("merchant_id"), UserID: q.Get("user_id"),
		AuthorizationID: q.Get("authorization_id"), BeforeSeq: uint64(before), Limit: limit}
	t, err := s.svc.Transactions(r.Context(), f)
	s.answer(w, r, t, err)
}

func (s *Server) adminAuthorizations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := page(w, q)
	if !ok {
		return
	}
	a, err := s.svc.Authorizations(r.Context(), store.AuthorizationFilter{UserID: q.Get("user_id"), AccountID: q.Get("account_id"), Page: p})
	s.answer(w, r, a, err)
}

func (s *Server) adminRevoke(w http.ResponseWriter, r *http.Request) {
	var req admin.RevocationRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	rv, err := s.svc.Revoke(r.Context(), req)
	s.answer(w, r, rv, err)
}

func (s *Server) adminUnlock(w http.ResponseWriter, r *http.Request) {
	var req admin.UnlockRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	err := s.svc.Unlock(r.Context(), req)
	s.answer(w, r, req, err)
}

func (s *Server) adminCheck(w http.ResponseWriter, r *http.Request) {
	rep, err := s.svc.Check(r.Context())
	s.answer(w, r, rep, err)
}

func (s *Server) adminRotateKey(w http.ResponseWriter, r *http.Request) {
	k, err := s.svc.RotateKey(r.Context())
	s.answer(w, r, k, err)
}

func (s *Server) adminImport(w http.ResponseWriter, r *http.Request) {
	release, ok := s.batchTurn(w, r)
	if !ok {
		return
	}
	defer release()
	body, p := readBody(w, r, protocol.MaxExportBytes)
	if p != nil {
		writeProblem(w, p)
		return
	}
	var e protocol.Export
	if p := decodeStrict(body, &e); p != nil {
		writeProblem(w, p)
		return
	}
	if e.Format != protocol.ExportFormat {
		writeProblem(w, problem(http.StatusBadRequest, protocol.CodeInvalidField, "format must be "+protocol.ExportFormat))
		return
	}
	if len(e.Items) > protocol.MaxExportItems {
		writeProblem(w, problem(http.StatusRequestEntityTooLarge, protocol.CodeBatchTooLarge, "an export holds at most "+strconv.Itoa(protocol.MaxExportItems)+" items"))
		return
	}
	res, err := s.svc.Import(r.Context(), e)
	if err == nil {
		for _, it := range res.Results {
			s.metrics.outcome(it.Status != protocol.StatusDeclined, "import", string(it.Code))
		}
	}
	s.answer(w, r, res, err)
}

// answer writes v as 200, or the error.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// maxQueryValueLen bounds an admin query value: ids, and account ids, which are ids with a prefix
// (store.MerchantAccountID).
const maxQueryValueLen = 2 * protocol.MaxIDLen

// checkQuery refuses a query value that no id or filter can be (a NUL, a control character, too
// long), with the parameter named, before any store sees it.
func checkQuery(q url.Values) *protocol.Problem {
	for name, vs := range q {
		if err := protocol.CheckText("query parameter", name, maxQueryValueLen); err != nil {
			return protocol.FieldProblem(err)
		}
		for _, v := range vs {
			if err := protocol.CheckText(name, v, maxQueryValueLen); err != nil {
				return protocol.FieldProblem(err)
			}
		}
	}
	return nil
}

// page reads after_id and limit.
func page(w http.ResponseWriter, q url.Values) (store.Page, bool) {
	limit, ok := intParam(w, q, "limit")
	return store.Page{AfterID: q.Get("after_id"), Limit: limit}, ok
}

func intParam(w http.ResponseWriter, q url.Values, name string) (int, bool) {
	v := q.Get(name)
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || (name == "limit" && n > store.MaxPageSize) {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidField, name+" must be a whole number, not negative (limit at most "+strconv.Itoa(store.MaxPageSize)+")")
		p.Field = name
		writeProblem(w, p)
		return 0, false
	}
	return n, true
}

// nonNil makes an empty listing encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
