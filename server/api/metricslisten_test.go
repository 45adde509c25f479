package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/service"
)

// With MetricsElsewhere the API's address answers /metrics 404; MetricsHandler serves them.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	s := newStackWith(t, storeBolt, func(_ *service.Config, c *Config) { c.MetricsElsewhere = true })
	resp, err := http.Get(s.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the API address: HTTP %d, want 404", resp.StatusCode)
	}
	ms := httptest.NewServer(s.h.MetricsHandler())
	defer ms.Close()
	resp, err = http.Get(ms.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "settlementd_http_requests_total") {
		t.Errorf("/metrics on its own address: HTTP %d\n%.300s", resp.StatusCode, body)
	}
}
