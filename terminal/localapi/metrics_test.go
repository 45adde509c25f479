package localapi

import (
	"context"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/terminal/agent"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// varying are the series whose values depend on the time the test takes; the golden file holds
// them masked, as node_exporter's collector tests do.
var varying = regexp.MustCompile(`(?m)^(posagent_queue_oldest_age_seconds|posagent_sale_latency_seconds_sum)(\{[^}]*\})? \S+$`)

// TestMetricsGolden compares /metrics after one declined sale with testdata/metrics.golden (go test
// -run TestMetricsGolden -update rewrites it).
func TestMetricsGolden(t *testing.T) {
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := NewClient(strings.TrimPrefix(srv.URL, "http://"))
	ctx := context.Background()
	v, err := c.StartSale(ctx, StartSaleRequest{Amount: "3.00"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SubmitCode(ctx, v.ID, "not a code"); err != nil {
		t.Fatal(err)
	}
	if v, err = c.WaitFinal(ctx, v, nil); err != nil || v.State != agent.SaleDeclined {
		t.Fatalf("final: %+v %v", v, err)
	}
	m, err := c.Metrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := varying.ReplaceAllString(m, "$1$2 <varies>")
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("/metrics differs from %s (-update rewrites it):\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

func TestPrinterState(t *testing.T) {
	for in, want := range map[string]string{
		"ready": printerReady, "printed": printerReady, "online: paper out": printerPaperOut, "offline: cover open": printerCoverOpen,
		"offline": printerOffline, "unknown (no status answer); last print: printed": printerUnknown, "": printerUnknown,
		"unavailable": printerUnavailable, "error: read /dev/ttyUSB0: input/output error": printerError,
	} {
		if got := printerState(in); got != want {
			t.Errorf("printerState(%q) = %q, want %q", in, got, want)
		}
	}
}
