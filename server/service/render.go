package service

import (
	"crypto/rand"
	"github.com/stillpay/stillpay/shared/payload"
	"net/http"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// approvalCodeAlphabet leaves out look-alikes (0/O, 1/I/L) since cashiers read the code aloud.
const approvalCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// approvalCodeLen is the length printed on receipts (protocol.Approval.ApprovalCode).
const approvalCodeLen = 6

func newApprovalCode() (string, error) {
	b := make([]byte, approvalCodeLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = approvalCodeAlphabet[int(b[i])%len(approvalCodeAlphabet)]
	}
	return string(b), nil
}

// render turns a stored outcome into the answer. It is a pure function of the outcome and the key it
// names, so a replay renders the same bytes.
func (s *Service) render(o store.Outcome, kind string) Result { return s.renderAs(o, kind, true) }

// renderAs is render with the approval signed or, for a batch answer that is signed as a whole or
// a group answer whose approvals get a group proof (proveApprovals), not (protocol.UnsignedApproval).
func (s *Service) renderAs(o store.Outcome, kind string, sign bool) Result {
	res := Result{Kind: kind}
	if o.Err != nil {
		if isMismatch(o.Err) {
			return mismatchResult(Request{Kind: kind, TerminalTxnID: o.Key.TerminalTxnID})
		}
		res.Problem = problem(http.StatusBadRequest, protocol.CodeInvalidField, "%v", o.Err)
		return res
	}
	resp := protocol.TransactionResponse{TerminalTxnID: o.Key.TerminalTxnID}
	if o.Status != store.StatusApproved {
		resp.Status, resp.Code, resp.Message = protocol.StatusDeclined, o.Code, o.Message
		res.Response = resp
		return res
	}
	key, ok := s.keys.Private(o.KeyID)
	if !ok && sign {
		s.log.Error("stored approval names a server key that is gone", "key_id", o.KeyID, "txn", o.Key.String())
		res.Problem = problem(http.StatusInternalServerError, protocol.CodeInternal, "the approval's signing key is missing")
		return res
	}
	approval := protocol.Approval{
		ApprovalID:      o.ApprovalID,
		ApprovalCode:    o.ApprovalCode,
		TerminalID:      o.Key.TerminalID,
		TerminalTxnID:   o.Key.TerminalTxnID,
		MerchantID:      o.MerchantID,
		Amount:          o.Amount,
		MaskedCustomer:  payload.Mask(o.UserID),
		AuthorizationID: o.AuthorizationID,
		Offline:         o.Offline,
		ApprovedAt:      o.ApprovedAt,
		SettledAt:       o.SettledAt,
	}
	var signed protocol.SignedApproval
	var err error
	if sign {
		signed, err = protocol.SignApproval(approval, o.KeyID, key)
	} else {
		signed, err = protocol.UnsignedApproval(approval, o.KeyID)
	}
	if err != nil {
		res.Problem = problem(http.StatusInternalServerError, protocol.CodeInternal, "signing the approval failed")
		return res
	}
	resp.Approval = &signed
	switch o.Kind {
	case store.OpVoid:
		resp.Status = protocol.StatusVoided
	case store.OpRefund:
		resp.Status = protocol.StatusRefunded
	default:
		resp.Status = protocol.StatusApproved
	}
	res.Response = resp
	return res
}
