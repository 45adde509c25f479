package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/offline"
	"github.com/stillpay/stillpay/terminal/queue"
)

// decliningServer declines every payment, as a server would for an empty account.
type decliningServer struct{}

func (decliningServer) Transaction(_ context.Context, req protocol.TransactionRequest) (protocol.TransactionResponse, error) {
	return protocol.TransactionResponse{TerminalTxnID: req.TerminalTxnID, Status: protocol.StatusDeclined, Code: protocol.CodeInsufficientFunds}, nil
}

func newTestServer(t testing.TB) (*Server, *agent.Agent) {
	s, ag := newServerWith("", "")
	t.Cleanup(ag.Close)
	return s, ag
}

// newServerWith returns a server listening (for its Host checks) on listen with token; the caller
// closes the agent or lets the process end.
func newServerWith(listen, token string) (*Server, *agent.Agent) {
	store := queue.NewMemory()
	ag := agent.New(agent.Options{Store: store, Server: decliningServer{}, Verifier: offline.NewVerifier(nil, protocol.TerminalLimits{}, false),
		Identity: config.IdentityState{TerminalID: "T-1"}, Currency: "EUR", ScanTimeout: time.Minute})
	return NewServer(Deps{Agent: ag, Store: store, Currency: "EUR", Listen: listen, Token: token}), ag
}

// requestCases is the table for TestRequests and the seed corpus of FuzzStartSale.
var requestCases = []struct {
	name       string
	body       string
	wantStatus int
	wantCode   protocol.Code
}{
	{"valid", `{"amount":"12.50","reference":"R1"}`, http.StatusCreated, ""},
	{"other currency", `{"amount":"1","currency":"JPY"}`, http.StatusCreated, ""},
	{"not json", `amount=12.50`, http.StatusBadRequest, protocol.CodeMalformedJSON},
	{"unknown field", `{"amount":"1.00","tip":"2"}`, http.StatusBadRequest, protocol.CodeMalformedJSON},
	{"two objects", `{"amount":"1.00"}{}`, http.StatusBadRequest, protocol.CodeMalformedJSON},
	{"float amount", `{"amount":12.5}`, http.StatusBadRequest, protocol.CodeMalformedJSON},
	{"too many decimals", `{"amount":"12.505"}`, http.StatusBadRequest, protocol.CodeInvalidAmount},
	{"negative", `{"amount":"-1.00"}`, http.StatusBadRequest, protocol.CodeInvalidAmount},
	{"unknown currency", `{"amount":"1.00","currency":"XBT"}`, http.StatusBadRequest, protocol.CodeInvalidAmount},
	{"long reference", `{"amount":"1.00","reference":"` + strings.Repeat("r", 100) + `"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"NUL in reference", `{"amount":"1.00","reference":"INV\u0000-1"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"newline in reference", `{"amount":"1.00","reference":"a\nb"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"escape in reference", `{"amount":"1.00","reference":"\u001b[2J"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"bidi override in reference", `{"amount":"1.00","reference":"abc\u202edcba"}`, http.StatusBadRequest, protocol.CodeInvalidField},
	{"unicode reference", `{"amount":"1.00","reference":"Café №7 ☕"}`, http.StatusCreated, ""},
	{"huge body", `{"amount":"1.00","reference":"` + strings.Repeat("r", 70<<10) + `"}`, http.StatusRequestEntityTooLarge, protocol.CodeBodyTooLarge},
}

func TestRequests(t *testing.T) {
	for _, tc := range requestCases {
		t.Run(tc.name, func(t *testing.T) {
			s, ag := newTestServer(t)
			srv := httptest.NewServer(s)
			defer srv.Close()
			resp, err := http.Post(srv.URL+PathSales, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantCode != "" {
				var p protocol.Problem
				if resp.Header.Get("Content-Type") != protocol.ContentTypeProblem || json.NewDecoder(resp.Body).Decode(&p) != nil {
					t.Fatalf("error without a problem document")
				}
				if p.Code != tc.wantCode {
					t.Fatalf("code %q, want %q (%s)", p.Code, tc.wantCode, p.Detail)
				}
				if id := ag.Current(); id != "" {
					t.Fatalf("a refused request started sale %s", id)
				}
			}
			if id := ag.Current(); id != "" {
				ag.Cancel(id)
			}
		})
	}
}

func TestSaleLifecycleOverHTTP(t *testing.T) {
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"))
	ctx := context.Background()
	v, err := c.StartSale(ctx, StartSaleRequest{Amount: "3.00"})
	if err != nil || v.State != agent.SaleWaiting {
		t.Fatalf("start: %+v %v", v, err)
	}
	if _, err := c.StartSale(ctx, StartSaleRequest{Amount: "1.00"}); !errors.Is(err, &protocol.Problem{Code: protocol.CodeInProgress}) {
		t.Fatalf("second sale: %v", err)
	}
	if err := c.SubmitCode(ctx, v.ID, "not a code"); err != nil {
		t.Fatal(err)
	}
	v, err = c.WaitFinal(ctx, v, nil)
	if err != nil || v.State != agent.SaleDeclined || v.Code != protocol.CodePayloadMalformed {
		t.Fatalf("final: %+v %v", v, err)
	}
	if _, err := c.Reprint(ctx, v.ID, false); !errors.Is(err, &protocol.Problem{Code: protocol.CodeInProgress}) {
		t.Fatalf("reprint of a declined sale: %v", err)
	}
	if _, err := c.Sale(ctx, "T-1-404", 0, ""); !errors.Is(err, &protocol.Problem{Code: protocol.CodeNotFound}) {
		t.Fatalf("unknown sale: %v", err)
	}
	v2, _ := c.StartSale(ctx, StartSaleRequest{Amount: "1.00"})
	if v2, err = c.Cancel(ctx, v2.ID); err != nil || v2.State != agent.SaleCancelled {
		t.Fatalf("cancel: %+v %v", v2, err)
	}
	recent, err := c.Recent(ctx, 10)
	if err != nil || len(recent) != 2 || recent[0].ID != v2.ID {
		t.Fatalf("recent: %+v %v", recent, err)
	}
	m, err := c.Metrics(ctx)
	if err != nil || !strings.Contains(m, `posagent_sales_total{outcome="declined"} 1`) || !strings.Contains(m, "posagent_queue_depth 0") {
		t.Fatalf("metrics:\n%s %v", m, err)
	}
	if _, err := NewClient("127.0.0.1:1").Status(ctx); !errors.Is(err, ErrAgentDown) {
		t.Fatalf("no agent: %v", err)
	}
}

// FuzzStartSale posts arbitrary bodies: the answer is never a server error.
func FuzzStartSale(f *testing.F) {
	for _, tc := range requestCases {
		if len(tc.body) < 4096 {
			f.Add([]byte(tc.body))
		}
	}
	s, ag := newTestServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, PathSales, bytes.NewReader(body)))
		if rec.Code >= 500 {
			t.Fatalf("body %q: status %d %s", body, rec.Code, rec.Body)
		}
		if id := ag.Current(); id != "" {
			ag.Cancel(id)
			for ag.Current() != "" {
				time.Sleep(time.Millisecond)
			}
		}
	})
}
