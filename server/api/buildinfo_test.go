package api

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBuildInfoMetric(t *testing.T) {
	m := NewMetrics()
	m.SetBuildInfo("v1.2.3", "abc1234")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{`settlementd_build_info{commit="abc1234",version="v1.2.3"} 1`, "go_build_info{"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
