package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stillpay/stillpay/internal/testenv"
)

const chromiumPath = "/usr/bin/chromium"

// newBrowser starts one headless Chromium with a fresh profile, or skips (fails under
// STILLPAY_REQUIRE_BROWSER=1) when it is not installed. The flags keep it off the network: it only
// talks to the test's servers on 127.0.0.1.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserWith(t)
}

// newBrowserWith is newBrowser with extra command-line flags (a fake camera, for one).
func newBrowserWith(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	testenv.SkipIfShort(t, "starts Chromium (the browser tests take about 2 minutes of CPU)")
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("STILLPAY_REQUIRE_BROWSER") == "1" {
			t.Fatalf("STILLPAY_REQUIRE_BROWSER=1 but %s is missing: apt-get install chromium", chromiumPath)
		}
		t.Skipf("browser tests skipped: %s not installed (apt-get install chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(360, 640),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// A failure guard only: nothing waits on this deadline under normal load.
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// artifactDir is where screens go: $STILLPAY_ARTIFACTS/webwallet, or the test's temp dir.
func artifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("STILLPAY_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "webwallet")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}
