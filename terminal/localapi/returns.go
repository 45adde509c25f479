package localapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
)

// Paths of voids and refunds.
const (
	PathVoids   = "/v1/voids"
	PathRefunds = "/v1/refunds"
)

// Problem codes of voids and refunds.
const (
	CodePINRequired   protocol.Code = "pin_required"   // 401: refunds.pin_hash is set and no pin came
	CodePINWrong      protocol.Code = "pin_wrong"      // 403
	CodePINLocked     protocol.Code = "pin_locked"     // 429: five wrong PINs; one minute
	CodeNotReturnable protocol.Code = "not_returnable" // 409: declined, voided, refunded in full, ...
)

// ReturnRequestBody voids (POST /v1/voids) or refunds (POST /v1/refunds) sale SaleID: a sale of this
// terminal or, by the transaction id on its receipt, one of another terminal of the same merchant.
// Amount is a refund's decimal amount (empty: all that is left of the sale); a void takes none. PIN
// is the supervisor PIN when refunds.pin_hash is set.
type ReturnRequestBody struct {
	SaleID    string `json:"sale_id"`
	Amount    string `json:"amount,omitempty"`
	Currency  string `json:"currency,omitempty"`
	Reference string `json:"reference,omitempty"`
	PIN       string `json:"pin,omitempty"`
}

func (s *Server) returnRoutes() {
	s.handle("POST "+PathVoids, s.postReturn(protocol.KindVoid))
	s.handle("POST "+PathRefunds, s.postReturn(protocol.KindRefund))
	for _, base := range []string{PathVoids, PathRefunds} {
		s.handle("GET "+base+"/{id}", s.getReturn)
		s.handle("POST "+base+"/{id}/reprint", s.reprint)
		s.handle("GET "+base+"/{id}/receipt", s.receipt)
	}
}

func (s *Server) postReturn(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req ReturnRequestBody
		if !decodeBody(w, r, &req) {
			return
		}
		ar := agent.ReturnRequest{Target: req.SaleID, Reference: req.Reference, PIN: req.PIN}
		if kind == protocol.KindVoid && req.Amount != "" {
			writeProblem(w, http.StatusBadRequest, protocol.CodeInvalidField, "a void takes no amount: it cancels the whole sale; refund part of it instead")
			return
		}
		if req.Amount != "" {
			amount, ok := s.request(w, req.Amount, req.Currency, req.Reference)
			if !ok {
				return
			}
			ar.Amount = amount
		} else {
			ar.Amount.Currency = req.Currency
		}
		do := s.d.Agent.Refund
		if kind == protocol.KindVoid {
			do = s.d.Agent.Void
		}
		v, err := do(r.Context(), ar)
		if err != nil {
			writeReturnError(w, err)
			return
		}
		writeJSON(w, http.StatusCreated, v)
	}
}

func (s *Server) getReturn(w http.ResponseWriter, r *http.Request) {
	writeView(w, r, http.StatusOK, r.PathValue("id"), s.d.Agent.Return, writeError)
}

// writeReturnError maps the errors of voids and refunds; the rest as writeError.
func writeReturnError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, agent.ErrPINRequired):
		writeProblem(w, http.StatusUnauthorized, CodePINRequired, "this terminal asks the supervisor PIN for refunds and voids")
	case errors.Is(err, agent.ErrPINWrong):
		writeProblem(w, http.StatusForbidden, CodePINWrong, "wrong supervisor PIN")
	case errors.Is(err, agent.ErrPINLocked):
		writeProblem(w, http.StatusTooManyRequests, CodePINLocked, err.Error())
	case errors.Is(err, agent.ErrNotReturnable):
		writeProblem(w, http.StatusConflict, CodeNotReturnable, err.Error())
	case errors.Is(err, agent.ErrNoReturns):
		writeProblem(w, http.StatusServiceUnavailable, protocol.CodeUnavailable, err.Error())
	default:
		writeError(w, err)
	}
}

// Void voids a sale (ReturnRequestBody without an amount).
func (c *Client) Void(ctx context.Context, req ReturnRequestBody) (agent.ReturnView, error) {
	var v agent.ReturnView
	err := c.call(ctx, http.MethodPost, PathVoids, req, &v)
	return v, err
}

// Refund refunds part or all of a sale.
func (c *Client) Refund(ctx context.Context, req ReturnRequestBody) (agent.ReturnView, error) {
	var v agent.ReturnView
	err := c.call(ctx, http.MethodPost, PathRefunds, req, &v)
	return v, err
}

// Return returns a void or a refund of this terminal.
func (c *Client) Return(ctx context.Context, kind, id string) (agent.ReturnView, error) {
	var v agent.ReturnView
	err := c.call(ctx, http.MethodGet, returnPath(kind)+"/"+url.PathEscape(id), nil, &v)
	return v, err
}

// ReturnReceipt returns a void's or a refund's slip text.
func (c *Client) ReturnReceipt(ctx context.Context, kind, id string) (string, error) {
	var s string
	err := c.call(ctx, http.MethodGet, returnPath(kind)+"/"+url.PathEscape(id)+"/receipt", nil, &s)
	return s, err
}

func returnPath(kind string) string {
	if kind == protocol.KindVoid {
		return PathVoids
	}
	return PathRefunds
}
