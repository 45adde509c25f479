package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// TestLocalAPIRefusesCrossSite: what a web page open on the POS box can send (a text/plain POST
// from a foreign origin, or a DNS-rebound host name) is refused by the real posagent and starts no
// sale; the register's JSON request is accepted.
func TestLocalAPIRefusesCrossSite(t *testing.T) {
	lab := newLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	base := "http://" + lab.AgentAPIAddr()

	for _, tc := range []struct {
		name, host, origin, ctype string
		want                      int
		code                      protocol.Code
	}{
		{"cross-origin text/plain", "", "http://shop-ads.example", "text/plain", http.StatusForbidden, protocol.CodeForbidden},
		{"DNS rebinding", "rebind.example:80", "", "application/json", http.StatusForbidden, protocol.CodeForbidden},
		{"text/plain without origin", "", "", "text/plain", http.StatusUnsupportedMediaType, protocol.CodeUnsupportedMediaType},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+localapi.PathSales, strings.NewReader(`{"amount":"9.99"}`))
		if err != nil {
			t.Fatal(err)
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		req.Header.Set("Content-Type", tc.ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p protocol.Problem
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != tc.want || err != nil || p.Code != tc.code {
			t.Fatalf("%s: HTTP %d code %q (%v), want %d %q", tc.name, resp.StatusCode, p.Code, err, tc.want, tc.code)
		}
		t.Logf("%s: refused %d %s: %s", tc.name, resp.StatusCode, p.Code, p.Detail)
	}
	if recent, err := lab.API.Recent(ctx, 10); err != nil || len(recent) != 0 {
		t.Fatalf("refused requests left sales: %+v %v", recent, err)
	}

	// The register's request (the client sends JSON to 127.0.0.1) is accepted.
	v, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "9.99"})
	if err != nil || v.State != agent.SaleWaiting {
		t.Fatalf("register sale: %+v %v", v, err)
	}
	if v, err = lab.API.Cancel(ctx, v.ID); err != nil || v.State != agent.SaleCancelled {
		t.Fatalf("cancel: %+v %v", v, err)
	}
}
