//go:build unix

package bench

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkHTTPFloor is the floor under "one payment per request" on this machine: 64 keep-alive
// clients posting a body the size of a payment request (~700 bytes) to a net/http handler that only
// reads it and answers with a grouped approval's size (~900 bytes). It reports the CPU (client and
// server, one process, like the in-process bench) per request: what any settlementd answer costs
// before the first line of its handler (docs/benchmarks.md, issue #13).
func BenchmarkHTTPFloor(b *testing.B) {
	answer := bytes.Repeat([]byte("a"), 900)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchFloorClients}}
	body := bytes.Repeat([]byte("r"), 700)
	per := b.N/benchFloorClients + 1
	cpu0 := rusageCPU()
	b.ResetTimer()
	var wg sync.WaitGroup
	for range benchFloorClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				resp, err := client.Post(srv.URL, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Errorf("answer: %d, %v", resp.StatusCode, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64((rusageCPU()-cpu0).Microseconds())/float64(per*benchFloorClients), "cpu-µs/req")
}

// benchFloorClients matches the bench's default terminals.
const benchFloorClients = 64

func rusageCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
