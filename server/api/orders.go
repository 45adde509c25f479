package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// orderRoute is a route of flow 2 (the same shape as routes' own type).
type orderRoute struct {
	pattern string
	name    string
	h       http.HandlerFunc
}

func (s *Server) orderRoutes() []orderRoute {
	return []orderRoute{
		{"POST " + protocol.PathOrders, "orders", s.terminal(protocol.MaxBodyBytes, s.createOrder)},
		{"GET " + protocol.PathOrders, "order_feed", s.terminal(0, s.orderFeed)},
		{"GET " + protocol.PathOrderPrefix + "{id}", "order", s.terminal(0, s.getOrder)},
		{"POST " + protocol.PathOrderPrefix + "{id}/cancel", "order_cancel", s.terminal(protocol.MaxBodyBytes, s.cancelOrder)},
		{"POST " + protocol.PathOrderPrefix + "{id}/confirm", "order_confirm", s.confirmOrder},
		{"POST " + protocol.PathStaticOrders, "order_static", s.payStatic},
		{"GET " + protocol.PathTerminalStick, "terminal_sticker", s.terminal(0, s.sticker)},
	}
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, body []byte) {
	var req protocol.OrderRequest
	if p := decodeStrict(body, &req); p != nil {
		writeProblem(w, p)
		return
	}
	o, err := s.svc.CreateOrder(r.Context(), t, sr, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

// Drain stops holding long-polls (GET /v1/orders/{id}?wait=, the feed): Serve calls it when
// graceful shutdown starts, so that it does not wait out minute-long polls.
func (s *Server) Drain() { s.svc.StopLongPolls() }

// longPollSlack is how much longer than its wait a long-poll may take to write its answer.
const longPollSlack = 15 * time.Second

// parseWait reads ?wait= (a Go duration such as "30s", or whole seconds); it is cut to
// protocol.MaxOrderWait, and sets the response's write deadline to fit it.
func parseWait(w http.ResponseWriter, r *http.Request) (time.Duration, *protocol.Problem) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.ParseUint(v, 10, 32)
		if nerr != nil {
			p := problem(http.StatusBadRequest, protocol.CodeInvalidField, "wait must be a duration such as 30s, or a number of seconds")
			p.Field = "wait"
			return 0, p
		}
		d = time.Duration(n) * time.Second
	}
	if d < 0 {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidField, "wait must not be negative")
		p.Field = "wait"
		return 0, p
	}
	d = min(d, protocol.MaxOrderWait)
	// A failure only means the writer cannot change deadlines (a test recorder); keep the default.
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d + longPollSlack))
	return d, nil
}

// terminalGET records the nonce of a signed GET (there is no store write to carry it).
func (s *Server) terminalGET(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest) bool {
	if err := s.svc.UseNonce(r.Context(), t, sr); err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, _ []byte) {
	wait, p := parseWait(w, r)
	if p != nil {
		writeProblem(w, p)
		return
	}
	if !s.terminalGET(w, r, t, sr) {
		return
	}
	o, err := s.svc.GetOrder(r.Context(), t, r.PathValue("id"), wait)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) orderFeed(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, _ []byte) {
	wait, p := parseWait(w, r)
	if p != nil {
		writeProblem(w, p)
		return
	}
	q := r.URL.Query()
	var after uint64
	var limit int
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			p := problem(http.StatusBadRequest, protocol.CodeInvalidField, "after must be the next value of the previous answer (a whole number)")
			p.Field = "after"
			writeProblem(w, p)
			return
		}
		after = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > protocol.MaxOrderFeedLimit {
			p := problem(http.StatusBadRequest, protocol.CodeInvalidField, "limit must be 1 to 100")
			p.Field = "limit"
			writeProblem(w, p)
			return
		}
		limit = n
	}
	if !s.terminalGET(w, r, t, sr) {
		return
	}
	feed, err := s.svc.OrderFeed(r.Context(), t, after, limit, wait)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, feed)
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, body []byte) {
	if len(body) != 0 {
		writeProblem(w, problem(http.StatusBadRequest, protocol.CodeInvalidField, "a cancel takes no body"))
		return
	}
	o, err := s.svc.CancelOrder(r.Context(), t, sr, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) confirmOrder(w http.ResponseWriter, r *http.Request) {
	var req protocol.OrderConfirmRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	o, err := s.svc.ConfirmOrder(r.Context(), bearer(r), r.PathValue("id"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) payStatic(w http.ResponseWriter, r *http.Request) {
	var req protocol.StaticOrderRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	o, err := s.svc.PayStatic(r.Context(), bearer(r), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) sticker(w http.ResponseWriter, r *http.Request, t store.Terminal, sr protocol.SignedRequest, _ []byte) {
	if !s.terminalGET(w, r, t, sr) {
		return
	}
	st, err := s.svc.Sticker(r.Context(), t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
