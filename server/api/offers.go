package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/protocol"
)

// offerRoutes are flow 3's endpoints (docs/api.md, "Offers"): the admin's merchant tokens, the
// merchant API, and the wallet's inbox and offer settings.
func (s *Server) offerRoutes() []route {
	return []route{
		{"POST " + admin.PathMerchantTokens, "admin_merchant_tokens", s.admin(s.adminIssueMerchantToken)},
		{"GET " + admin.PathMerchantTokens, "admin_merchant_tokens", s.admin(s.adminListMerchantTokens)},
		{"POST " + admin.PathMerchantTokenRevoke, "admin_merchant_token_revoke", s.admin(s.adminRevokeMerchantToken)},

		{"POST " + protocol.PathMerchantCampaigns, "merchant_campaigns", s.merchant(s.createCampaign)},
		{"GET " + protocol.PathMerchantCampaigns, "merchant_campaigns", s.merchant(s.listCampaigns)},
		{"GET " + protocol.PathMerchantCampaign + "{id}", "merchant_campaign", s.merchant(s.showCampaign)},
		{"POST " + protocol.PathMerchantCampaign + "{id}/cancel", "merchant_campaign_cancel", s.merchant(s.cancelCampaign)},
		{"GET " + protocol.PathMerchantCampaign + "{id}/report", "merchant_campaign_report", s.merchant(s.campaignReport)},

		{"GET " + protocol.PathMessages, "messages", s.inbox},
		{"POST " + protocol.PathMessagesAck, "messages_ack", s.ack},
		{"GET " + protocol.PathOfferSettings, "offer_settings", s.getOfferSettings},
		{"PUT " + protocol.PathOfferSettings, "offer_settings", s.putOfferSettings},
	}
}

// maxCampaignBody bounds a campaign request (its conditions are at most screen.MaxJSONLen).
const maxCampaignBody = 32 << 10

func (s *Server) adminIssueMerchantToken(w http.ResponseWriter, r *http.Request) {
	var req admin.MerchantTokenRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	out, err := s.svc.IssueMerchantToken(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) adminListMerchantTokens(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.MerchantTokens(r.Context(), r.URL.Query().Get("merchant_id"))
	s.answer(w, r, out, err)
}

func (s *Server) adminRevokeMerchantToken(w http.ResponseWriter, r *http.Request) {
	var req admin.MerchantTokenRevocation
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	out, err := s.svc.RevokeMerchantToken(r.Context(), req.ID)
	s.answer(w, r, out, err)
}

// merchant guards a merchant API route with a merchant token; the handler gets the merchant id.
func (s *Server) merchant(h func(w http.ResponseWriter, r *http.Request, merchantID string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := s.svc.MerchantOf(r.Context(), bearer(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if p := checkQuery(r.URL.Query()); p != nil {
			writeProblem(w, p)
			return
		}
		h(w, r, id)
	}
}

func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request, merchantID string) {
	var req protocol.CampaignRequest
	if !s.decode(w, r, maxCampaignBody, &req) {
		return
	}
	out, err := s.svc.CreateCampaign(r.Context(), merchantID, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if req.DryRun {
		status = http.StatusOK
	}
	writeJSON(w, status, out)
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request, merchantID string) {
	p, ok := page(w, r.URL.Query())
	if !ok {
		return
	}
	out, err := s.svc.Campaigns(r.Context(), merchantID, p)
	s.answer(w, r, out, err)
}

func (s *Server) showCampaign(w http.ResponseWriter, r *http.Request, merchantID string) {
	out, err := s.svc.Campaign(r.Context(), merchantID, r.PathValue("id"))
	s.answer(w, r, out, err)
}

func (s *Server) cancelCampaign(w http.ResponseWriter, r *http.Request, merchantID string) {
	out, err := s.svc.CancelCampaign(r.Context(), merchantID, r.PathValue("id"))
	s.answer(w, r, out, err)
}

func (s *Server) campaignReport(w http.ResponseWriter, r *http.Request, merchantID string) {
	switch r.URL.Query().Get("format") {
	case "", "json":
		out, err := s.svc.CampaignReport(r.Context(), merchantID, r.PathValue("id"))
		s.answer(w, r, out, err)
	case "svg":
		svg, err := s.svc.CampaignChart(r.Context(), merchantID, r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(svg)
	default:
		p := problem(http.StatusBadRequest, protocol.CodeInvalidField, "format is json or svg")
		p.Field = "format"
		writeProblem(w, p)
	}
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			if n, aerr := strconv.Atoi(v); aerr == nil {
				d, err = time.Duration(n)*time.Second, nil
			}
		}
		if err != nil || d < 0 || d > protocol.MaxMessagesWait {
			p := problem(http.StatusBadRequest, protocol.CodeInvalidField, "wait is a duration from 0 to "+protocol.MaxMessagesWait.String()+" (e.g. 25s)")
			p.Field = "wait"
			writeProblem(w, p)
			return
		}
		wait = d
	}
	all := q.Get("all") == "1" || q.Get("all") == "true"
	out, err := s.svc.Inbox(r.Context(), bearer(r), all, wait)
	s.answer(w, r, out, err)
}

func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	var req protocol.AckRequest
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	out, err := s.svc.Ack(r.Context(), bearer(r), req)
	s.answer(w, r, out, err)
}

func (s *Server) getOfferSettings(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.GetOfferSettings(r.Context(), bearer(r))
	s.answer(w, r, out, err)
}

func (s *Server) putOfferSettings(w http.ResponseWriter, r *http.Request) {
	var req protocol.OfferSettings
	if !s.decode(w, r, protocol.MaxBodyBytes, &req) {
		return
	}
	out, err := s.svc.PutOfferSettings(r.Context(), bearer(r), req)
	s.answer(w, r, out, err)
}
