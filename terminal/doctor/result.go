package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Status is the outcome of one check.
type Status string

// Statuses. Only StatusFail makes the doctor exit non-zero; a warning is something to look at
// before the lane opens, a skip says which earlier failure to fix first.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
	StatusSkip Status = "skip"
)

// Result is one check's line.
type Result struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

func ok(detail string, args ...any) Result {
	return Result{Status: StatusOK, Detail: fmt.Sprintf(detail, args...)}
}

func warn(fix, detail string, args ...any) Result {
	return Result{Status: StatusWarn, Detail: fmt.Sprintf(detail, args...), Fix: fix}
}

func fail(fix, detail string, args ...any) Result {
	return Result{Status: StatusFail, Detail: fmt.Sprintf(detail, args...), Fix: fix}
}

func skip(detail string, args ...any) Result {
	return Result{Status: StatusSkip, Detail: fmt.Sprintf(detail, args...)}
}

// Report is the outcome of a doctor run.
type Report struct {
	OK     bool     `json:"ok"`
	Checks []Result `json:"checks"`
}

func newReport(results []Result) Report {
	r := Report{OK: true, Checks: results}
	for _, c := range results {
		if c.Status == StatusFail {
			r.OK = false
		}
	}
	return r
}

// Failed lists the checks that failed.
func (r Report) Failed() []string {
	var names []string
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			names = append(names, c.Check)
		}
	}
	return names
}

// WriteText writes one line per check: status, check name, detail and, for problems, the fix.
func (r Report) WriteText(w io.Writer) error {
	for _, c := range r.Checks {
		line := fmt.Sprintf("%-4s  %-9s %s", strings.ToUpper(string(c.Status)), c.Check, oneLine(c.Detail))
		if c.Fix != "" {
			line += " -> fix: " + oneLine(c.Fix)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	summary := "all checks passed"
	if !r.OK {
		summary = fmt.Sprintf("%d check(s) failed: %s", len(r.Failed()), strings.Join(r.Failed(), ", "))
	}
	_, err := fmt.Fprintln(w, summary)
	return err
}

// WriteJSON writes the report as one JSON document.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// oneLine keeps a check on its line: multi-line errors are joined.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
