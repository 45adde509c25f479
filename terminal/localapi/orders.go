package localapi

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
)

// Paths of merchant-presented orders (flow 2) and the lane's sticker.
const (
	PathOrders       = "/v1/orders"
	PathStickerPrint = "/v1/sticker/print"
)

// StickerResponse tells which sticker was printed and how the print went.
type StickerResponse struct {
	StickerID   string `json:"sticker_id"`
	TerminalID  string `json:"terminal_id"`
	PrintStatus string `json:"print_status"`
}

// StartOrderRequest starts an order. Amount is decimal text ("12.50") in Currency (default: the
// terminal's); ExpiresIn is its validity as a duration ("5m"; default the server's, 5 minutes; at
// most 1h).
type StartOrderRequest struct {
	Amount    string `json:"amount"`
	Currency  string `json:"currency,omitempty"`
	Reference string `json:"reference,omitempty"`
	ExpiresIn string `json:"expires_in,omitempty"`
}

func (s *Server) orderRoutes() {
	s.handle("POST "+PathOrders, s.startOrder)
	s.handle("GET "+PathOrders, s.listOrders)
	s.handle("GET "+PathOrders+"/{id}", s.getOrder)
	s.handle("POST "+PathOrders+"/{id}/cancel", s.cancelOrder)
	s.handle("POST "+PathOrders+"/{id}/reprint", s.reprintOrder)
	s.handle("GET "+PathOrders+"/{id}/receipt", s.orderReceipt)
	s.handle("POST "+PathStickerPrint, s.printSticker)
}

func (s *Server) printSticker(w http.ResponseWriter, r *http.Request) {
	st, status, err := s.d.Agent.PrintSticker(r.Context())
	if err != nil {
		writeOrderError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, StickerResponse{StickerID: st.StickerID, TerminalID: st.TerminalID, PrintStatus: status})
}

// writeOrderError maps the order errors, then everything else as writeError does.
func writeOrderError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, agent.ErrNoOrder):
		writeProblem(w, http.StatusNotFound, protocol.CodeNotFound, err.Error())
	case errors.Is(err, agent.ErrNoOrders), errors.Is(err, agent.ErrNoStickers):
		writeProblem(w, http.StatusServiceUnavailable, protocol.CodeUnavailable, err.Error())
	case errors.Is(err, agent.ErrTooManyOrders):
		writeProblem(w, http.StatusTooManyRequests, protocol.CodeThrottled, err.Error())
	case errors.Is(err, agent.ErrOrderFinal):
		writeProblem(w, http.StatusConflict, protocol.CodeInProgress, err.Error())
	case errors.Is(err, agent.ErrBadOrderTTL):
		writeProblem(w, http.StatusBadRequest, protocol.CodeInvalidField, err.Error())
	default:
		var prob *protocol.Problem
		if errors.As(err, &prob) {
			// The settlement server's answer (e.g. to the sticker request), passed on.
			writeProblem(w, http.StatusBadGateway, prob.Code, prob.Error())
			return
		}
		writeError(w, err)
	}
}

func (s *Server) startOrder(w http.ResponseWriter, r *http.Request) {
	var req StartOrderRequest
	if !decodeBody(w, r, &req) {
		return
	}
	amount, ok := s.request(w, req.Amount, req.Currency, req.Reference)
	if !ok {
		return
	}
	var ttl time.Duration
	if req.ExpiresIn != "" {
		var err error
		if ttl, err = time.ParseDuration(req.ExpiresIn); err != nil {
			writeProblem(w, http.StatusBadRequest, protocol.CodeInvalidField, "expires_in must be a duration such as 5m")
			return
		}
	}
	id, err := s.d.Agent.StartOrder(r.Context(), amount, req.Reference, ttl)
	if err != nil {
		writeOrderError(w, err)
		return
	}
	writeView(w, r, http.StatusCreated, id, s.d.Agent.Order, writeOrderError)
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	serveView(w, r, s.draining, s.d.Agent.Order, s.d.Agent.WaitOrder, writeOrderError)
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	vs, err := s.d.Agent.RecentOrders(r.Context(), limitParam(r, 20))
	if err != nil {
		writeOrderError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, vs)
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.d.Agent.CancelOrder(r.Context(), id); err != nil {
		writeOrderError(w, err)
		return
	}
	writeView(w, r, http.StatusOK, id, s.d.Agent.Order, writeOrderError)
}

func (s *Server) reprintOrder(w http.ResponseWriter, r *http.Request) {
	st, err := s.d.Agent.ReprintOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		writeOrderError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ReprintResponse{PrintStatus: st})
}

func (s *Server) orderReceipt(w http.ResponseWriter, r *http.Request) {
	text, err := s.d.Agent.OrderReceiptText(r.Context(), r.PathValue("id"))
	if err != nil {
		writeOrderError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, text)
}
