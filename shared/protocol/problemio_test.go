package protocol

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteThenParseProblem(t *testing.T) {
	rec := httptest.NewRecorder()
	p := NewProblem(http.StatusServiceUnavailable, CodeUnavailable, "database failing over")
	p.RetryAfterSeconds = 2
	WriteProblem(rec, p)
	if got := rec.Header().Get("Content-Type"); got != ContentTypeProblem {
		t.Errorf("Content-Type = %q", got)
	}
	if got := rec.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d", rec.Code)
	}
	back, err := ParseProblem(rec.Code, rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if *back != *p || back.Title != "Service Unavailable" {
		t.Errorf("read back %+v, wrote %+v", back, p)
	}
}

func TestParseProblem(t *testing.T) {
	for _, c := range []struct {
		name, body string
		want       *Problem
	}{
		{"full", `{"title":"Conflict","status":409,"code":"request_in_progress"}`, &Problem{Title: "Conflict", Status: 409, Code: CodeInProgress}},
		{"status from the answer", `{"code":"not_found"}`, &Problem{Status: 404, Code: CodeNotFound}},
		{"no code", `{"title":"Not Found","status":404}`, nil},
		{"not JSON", `<html>bad gateway</html>`, nil},
		{"empty", ``, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseProblem(404, []byte(c.body))
			if c.want == nil {
				if !errors.Is(err, ErrNotProblem) || got != nil {
					t.Fatalf("ParseProblem = %+v, %v; want ErrNotProblem", got, err)
				}
				return
			}
			if err != nil || *got != *c.want {
				t.Fatalf("ParseProblem = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func FuzzParseProblem(f *testing.F) {
	f.Add(404, []byte(`{"title":"Conflict","status":409,"code":"request_in_progress"}`))
	f.Add(404, []byte(`{"code":"not_found"}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		p, err := ParseProblem(status, body)
		if (p == nil) == (err == nil) {
			t.Fatalf("ParseProblem = %v, %v: want exactly one", p, err)
		}
		if p != nil && (p.Code == "" || p.Status == 0 && status != 0) {
			t.Fatalf("problem %+v from status %d", p, status)
		}
	})
}
