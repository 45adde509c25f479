package api

import (
	"net/http"

	"github.com/stillpay/stillpay/shared/protocol"
)

// pushRoutes are the web wallet's Web Push endpoints (docs/api.md, "Web Push"), wallet session.
func (s *Server) pushRoutes() []route {
	return []route{
		{"GET " + protocol.PathPushKey, "push_key", s.pushKey},
		{"POST " + protocol.PathPushSubscriptions, "push_subscriptions", s.pushSubscribe},
		{"POST " + protocol.PathPushUnsubscribe, "push_unsubscribe", s.pushUnsubscribe},
	}
}

func (s *Server) pushKey(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.PushKey(r.Context(), bearer(r))
	s.answer(w, r, out, err)
}

func (s *Server) pushSubscribe(w http.ResponseWriter, r *http.Request) {
	body, p := readBody(w, r, protocol.MaxPushBody)
	if p != nil {
		writeProblem(w, p)
		return
	}
	if err := s.svc.RegisterPush(r.Context(), bearer(r), body); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) pushUnsubscribe(w http.ResponseWriter, r *http.Request) {
	var req protocol.PushUnsubscribe
	if !s.decode(w, r, protocol.MaxPushBody, &req) {
		return
	}
	if err := s.svc.UnregisterPush(r.Context(), bearer(r), req); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
