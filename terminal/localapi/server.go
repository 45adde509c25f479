package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/forwarder"
	"github.com/stillpay/stillpay/terminal/queue"
)

// Paths of the local API.
const (
	PathSales   = "/v1/sales"
	PathStatus  = "/v1/status"
	PathQueue   = "/v1/queue"
	PathExport  = "/v1/queue-export"
	PathPrune   = "/v1/queue-prune"
	PathMetrics = "/metrics"
)

// Bounds of the local API.
const (
	maxBody = 64 << 10
	// MaxWait bounds one long poll.
	MaxWait = 60 * time.Second
	// maxList bounds a list.
	maxList = 1000
)

// StartSaleRequest starts a sale. Amount is decimal text ("12.50") in Currency (default: the
// terminal's).
type StartSaleRequest struct {
	Amount    string `json:"amount"`
	Currency  string `json:"currency,omitempty"`
	Reference string `json:"reference,omitempty"`
}

// CodeRequest submits a code typed at the register.
type CodeRequest struct {
	Code string `json:"code"`
}

// ReprintRequest is the optional body of a reprint. Confirm says the cashier checked that a receipt
// reported "sent, not confirmed" did not come out; without it such a receipt is not printed again
// (409 reprint_unconfirmed).
type ReprintRequest struct {
	Confirm bool `json:"confirm"`
}

// CodeReprintUnconfirmed answers a reprint of a receipt that was sent but not confirmed by the
// printer, when the cashier has not confirmed that it did not print.
const CodeReprintUnconfirmed protocol.Code = "reprint_unconfirmed"

// ReprintResponse tells how the reprint went.
type ReprintResponse struct {
	PrintStatus string `json:"print_status"`
}

// Status is the agent's health, for `posagent status`.
type Status struct {
	TerminalID   string           `json:"terminal_id"`
	MerchantName string           `json:"merchant_name"`
	Version      string           `json:"version"`
	Started      time.Time        `json:"started"`
	CurrentSale  string           `json:"current_sale,omitempty"`
	QueueDepth   int              `json:"queue_depth"`
	OldestQueued time.Time        `json:"oldest_queued,omitzero"`
	Offline      queue.Exposure   `json:"offline_exposure"`
	Forwarder    forwarder.Status `json:"forwarder"`
	// OfflineSince is set while sales are decided offline at once (the server did not answer an
	// online attempt): when that began.
	OfflineSince time.Time `json:"offline_since,omitzero"`
	Printer      string    `json:"printer"`
	Scanner      string    `json:"scanner"`
}

// Deps is what the server serves.
type Deps struct {
	Agent     *agent.Agent
	Store     queue.Store
	Forwarder *forwarder.Forwarder
	Export    func(ctx context.Context) (protocol.Export, error)
	Scanner   func() string // the scanner's state
	Printer   func(ctx context.Context) string
	Currency  string
	Version   string
	Logger    *slog.Logger
	Clock     clock.Clock
	// Listen is local_api.listen: its host is the one Host/Origin name allowed besides the
	// loopback names. Token, when set, must come as "Authorization: Bearer TOKEN".
	Listen string
	Token  string
}

// Server is the local API.
type Server struct {
	d       Deps
	mux     *http.ServeMux
	handler http.Handler
	paths   []string // registered paths, for problemRoutes
	started time.Time
	// draining ends when the server shuts down (Drain): long polls answer at once with what they
	// have, instead of holding the shutdown until their wait ends.
	draining context.Context
	drain    context.CancelFunc
}

// NewServer returns the handler.
func NewServer(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.Clock = clock.Or(d.Clock)
	s := &Server{d: d, mux: http.NewServeMux(), started: d.Clock.Now()}
	s.draining, s.drain = context.WithCancel(context.Background())
	s.handle("POST "+PathSales, s.startSale)
	s.handle("GET "+PathSales, s.listSales)
	s.handle("GET "+PathSales+"/{id}", s.getSale)
	s.handle("POST "+PathSales+"/{id}/cancel", s.cancelSale)
	s.handle("POST "+PathSales+"/{id}/code", s.submitCode)
	s.handle("POST "+PathSales+"/{id}/reprint", s.reprint)
	s.handle("GET "+PathSales+"/{id}/receipt", s.receipt)
	s.handle("GET "+PathStatus, s.status)
	s.handle("GET "+PathQueue, s.listQueue)
	s.handle("GET "+PathQueue+"/{id}", s.showQueue)
	s.handle("POST "+PathQueue+"/{id}/retry", s.retryQueue)
	s.handle("POST "+PathExport, s.export)
	s.handle("POST "+PathPrune, s.prune)
	s.handle("GET "+PathMetrics, s.metrics)
	s.orderRoutes()
	s.returnRoutes()
	s.problemRoutes()
	s.handler = newGuard(d.Listen, d.Token).wrap(s.mux)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Drain makes every long poll, current and future, answer at once; register it with
// http.Server.RegisterOnShutdown so a shutdown does not wait for a console's poll to time out.
func (s *Server) Drain() { s.drain() }

// handle registers h for pattern ("METHOD /path") and remembers the path for problemRoutes.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
	_, path, _ := strings.Cut(pattern, " ")
	s.paths = append(s.paths, path)
}

// problemRoutes answers a known path with another method, and any unknown path, with a problem
// document instead of the mux's plain text.
func (s *Server) problemRoutes() {
	seen := map[string]bool{}
	for _, p := range s.paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, http.StatusMethodNotAllowed, protocol.CodeMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; see docs/terminal.md")
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, protocol.CodeNotFound, "no such endpoint: "+r.URL.Path+"; see docs/terminal.md")
	})
}

// Listen opens the configured address: "host:port" on loopback or "unix:/path".
func Listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		os.Remove(path) // a stale socket from a previous run
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("local API: %w", err)
		}
		os.Chmod(path, 0o660)
		return l, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("local API: %w (is another posagent running?)", err)
	}
	return l, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, code protocol.Code, detail string) {
	protocol.WriteProblem(w, protocol.NewProblem(status, code, detail))
}

// writeError maps agent and queue errors to answers.
func writeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, agent.ErrNoSale), errors.Is(err, queue.ErrNotFound):
		writeProblem(w, http.StatusNotFound, protocol.CodeNotFound, err.Error())
	case errors.Is(err, agent.ErrBusy), errors.Is(err, agent.ErrNotWaiting), errors.Is(err, agent.ErrNotApproved),
		errors.Is(err, forwarder.ErrNotRefused):
		writeProblem(w, http.StatusConflict, protocol.CodeInProgress, err.Error())
	case errors.Is(err, protocol.ErrInvalidField):
		p := protocol.FieldProblem(err)
		writeProblem(w, p.Status, p.Code, p.Detail)
	case errors.Is(err, agent.ErrBadAmount):
		writeProblem(w, http.StatusBadRequest, protocol.CodeInvalidAmount, err.Error())
	case errors.Is(err, agent.ErrReprintUnconfirmed):
		writeProblem(w, http.StatusConflict, CodeReprintUnconfirmed, err.Error())
	case errors.Is(err, agent.ErrNoPrinter):
		writeProblem(w, http.StatusConflict, protocol.CodeUnavailable, err.Error())
	case errors.Is(err, queue.ErrStorage):
		writeProblem(w, http.StatusInsufficientStorage, protocol.CodeInternal, err.Error())
	default:
		writeProblem(w, http.StatusInternalServerError, protocol.CodeInternal, err.Error())
	}
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeProblem(w, http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge, fmt.Sprintf("body over %d bytes", maxBody))
			return false
		}
		writeProblem(w, http.StatusBadRequest, protocol.CodeMalformedJSON, err.Error())
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeProblem(w, http.StatusBadRequest, protocol.CodeMalformedJSON, "data after the JSON object")
		return false
	}
	return true
}

func (s *Server) startSale(w http.ResponseWriter, r *http.Request) {
	var req StartSaleRequest
	if !decodeBody(w, r, &req) {
		return
	}
	amount, ok := s.request(w, req.Amount, req.Currency, req.Reference)
	if !ok {
		return
	}
	id, err := s.d.Agent.StartSale(r.Context(), amount, req.Reference)
	if err != nil {
		writeError(w, err)
		return
	}
	writeView(w, r, http.StatusCreated, id, s.d.Agent.Sale, writeError)
}

// request checks the reference of a sale or an order and parses its decimal amount in currency
// (default: the terminal's), or answers 400.
func (s *Server) request(w http.ResponseWriter, text, currency, reference string) (money.Amount, bool) {
	// The one text rule of the system (the agent and the server apply it too).
	if err := protocol.CheckText("reference", reference, protocol.MaxReferenceLen); err != nil {
		writeError(w, err)
		return money.Amount{}, false
	}
	if currency == "" {
		currency = s.d.Currency
	}
	amount, err := money.Parse(text, currency, money.ParseOptions{})
	if err != nil {
		writeProblem(w, http.StatusBadRequest, protocol.CodeInvalidAmount, err.Error())
		return amount, false
	}
	return amount, true
}

// writeView answers the view of sale or order id, or the error through fail.
func writeView[V any](w http.ResponseWriter, r *http.Request, status int, id string, get func(context.Context, string) (V, error), fail func(http.ResponseWriter, error)) {
	v, err := get(r.Context(), id)
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, status, v)
}

// serveView answers GET of one sale or order; with ?wait=30s it is a long poll until the state
// differs from ?state= (or the outcome is final).
func serveView[V any](w http.ResponseWriter, r *http.Request, draining context.Context, get func(context.Context, string) (V, error),
	wait func(context.Context, string, string) (V, error), fail func(http.ResponseWriter, error)) {
	id := r.PathValue("id")
	q := r.URL.Query()
	ws := q.Get("wait")
	if ws == "" {
		writeView(w, r, http.StatusOK, id, get, fail)
		return
	}
	d, err := time.ParseDuration(ws)
	if err != nil || d < 0 {
		writeProblem(w, http.StatusBadRequest, protocol.CodeInvalidField, "wait must be a duration such as 30s")
		return
	}
	if draining.Err() != nil {
		writeView(w, r, http.StatusOK, id, get, fail)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), min(d, MaxWait))
	defer cancel()
	defer context.AfterFunc(draining, cancel)()
	v, err := wait(ctx, id, q.Get("state"))
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) getSale(w http.ResponseWriter, r *http.Request) {
	serveView(w, r, s.draining, s.d.Agent.Sale, s.d.Agent.Wait, writeError)
}

func limitParam(r *http.Request, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || n <= 0 {
		return def
	}
	return min(n, maxList)
}

func (s *Server) listSales(w http.ResponseWriter, r *http.Request) {
	vs, err := s.d.Agent.Recent(r.Context(), limitParam(r, 20))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, vs)
}

func (s *Server) cancelSale(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.d.Agent.Cancel(id); err != nil {
		writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	v, err := s.d.Agent.Wait(ctx, id, agent.SaleWaiting)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) submitCode(w http.ResponseWriter, r *http.Request) {
	var req CodeRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if len(req.Code) > protocol.MaxPayloadChars*2 {
		writeProblem(w, http.StatusBadRequest, protocol.CodePayloadMalformed, "code too long")
		return
	}
	if err := protocol.CheckText("code", req.Code, protocol.MaxPayloadChars*2); err != nil {
		writeError(w, err)
		return
	}
	if err := s.d.Agent.SubmitCode(r.PathValue("id"), req.Code); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *Server) reprint(w http.ResponseWriter, r *http.Request) {
	var req ReprintRequest
	if r.ContentLength != 0 && !decodeBody(w, r, &req) {
		return
	}
	st, err := s.d.Agent.Reprint(r.Context(), r.PathValue("id"), req.Confirm)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ReprintResponse{PrintStatus: st})
}

func (s *Server) receipt(w http.ResponseWriter, r *http.Request) {
	text, err := s.d.Agent.ReceiptText(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, text)
}

func (s *Server) currentStatus(ctx context.Context) (Status, error) {
	id := s.d.Agent.Identity()
	st := Status{TerminalID: id.TerminalID, MerchantName: id.MerchantName, Version: s.d.Version, Started: s.started,
		CurrentSale: s.d.Agent.Current(), Printer: s.d.Agent.Stats().PrinterStatus(), Scanner: "none"}
	if s.d.Forwarder != nil {
		st.Forwarder = s.d.Forwarder.Status()
	}
	if open, since := s.d.Agent.ServerUnreachable(); open {
		st.OfflineSince = since
	}
	if s.d.Scanner != nil {
		st.Scanner = s.d.Scanner()
	}
	if s.d.Printer != nil {
		st.Printer = s.d.Printer(ctx)
	}
	err := s.d.Store.View(ctx, func(tx queue.Tx) error {
		recs, err := tx.Outbox(0)
		if err != nil {
			return err
		}
		st.QueueDepth = len(recs)
		for _, r := range recs {
			if st.OldestQueued.IsZero() || r.CreatedAt.Before(st.OldestQueued) {
				st.OldestQueued = r.CreatedAt
			}
		}
		st.Offline, err = tx.Exposure(s.d.Currency)
		return err
	})
	return st, err
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.currentStatus(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// QueueItem is a queued record as `posagent queue` shows it: never the payload.
type QueueItem struct {
	TxnID       string        `json:"txn_id"`
	Kind        string        `json:"kind"`
	State       queue.State   `json:"state"`
	Amount      money.Amount  `json:"amount"`
	Customer    string        `json:"customer,omitempty"`
	TargetTxnID string        `json:"target_txn_id,omitempty"`
	Attempts    int           `json:"attempts"`
	LastError   string        `json:"last_error,omitempty"`
	Result      string        `json:"result,omitempty"`
	Code        protocol.Code `json:"code,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	ApprovedAt  time.Time     `json:"approved_at,omitzero"`
}

// ItemOf hides the secret parts of a record.
func ItemOf(r queue.Record) QueueItem {
	it := QueueItem{TxnID: r.TxnID, Kind: r.Kind, State: r.State, Amount: r.Amount, Customer: r.Masked, TargetTxnID: r.TargetTxnID,
		Attempts: r.Attempts, LastError: r.LastError, Code: r.DeclineCode, Reason: r.DeclineMessage, CreatedAt: r.CreatedAt, ApprovedAt: r.ApprovedAt}
	if r.Result != nil {
		it.Result = r.Result.Status
		if r.Result.Code != "" {
			it.Result += " (" + string(r.Result.Code) + ")"
		}
	}
	return it
}

// ListQueue returns records matching state ("" = outbox and refused, "all" = every record), oldest
// first. It is shared by the API and the CLI when the agent is not running.
func ListQueue(ctx context.Context, store queue.Store, state string, limit int) ([]QueueItem, error) {
	var out []QueueItem
	err := store.View(ctx, func(tx queue.Tx) error {
		var before uint64
		for {
			recs, err := tx.Recent(before, 500)
			if err != nil || len(recs) == 0 {
				return err
			}
			for _, r := range recs {
				keep := state == "all" || string(r.State) == state || (state == "" && (r.State == queue.StateQueued || r.State == queue.StateRefused))
				if keep {
					out = append(out, ItemOf(r))
				}
			}
			before = recs[len(recs)-1].Seq
		}
	})
	// Recent walks newest first; show oldest first, limited to the newest `limit`.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, err
}

func (s *Server) listQueue(w http.ResponseWriter, r *http.Request) {
	items, err := ListQueue(r.Context(), s.d.Store, r.URL.Query().Get("state"), limitParam(r, maxList))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, items)
}

func (s *Server) showQueue(w http.ResponseWriter, r *http.Request) {
	var rec queue.Record
	err := s.d.Store.View(r.Context(), func(tx queue.Tx) error {
		var err error
		rec, err = tx.Get(r.PathValue("id"))
		return err
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ItemOf(rec))
}

func (s *Server) retryQueue(w http.ResponseWriter, r *http.Request) {
	rec, err := forwarder.Retry(r.Context(), s.d.Store, r.PathValue("id"), s.d.Clock.Now())
	if err != nil {
		writeError(w, err)
		return
	}
	if s.d.Forwarder != nil {
		s.d.Forwarder.Kick()
	}
	writeJSON(w, http.StatusOK, ItemOf(rec))
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	e, err := s.d.Export(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

// prune applies the retention rule now; ?dry_run=true only counts.
func (s *Server) prune(w http.ResponseWriter, r *http.Request) {
	dryRun := false
	if v := r.URL.Query().Get("dry_run"); v != "" {
		var err error
		if dryRun, err = strconv.ParseBool(v); err != nil {
			writeProblem(w, http.StatusBadRequest, protocol.CodeInvalidField, "dry_run must be true or false")
			return
		}
	}
	res, err := s.d.Agent.Prune(r.Context(), dryRun)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
