package simprinter

import (
	"log/slog"
)

// Interpret runs a job through the printer's interpreter without any
// transport and returns the receipts it cuts. A job that does not end with
// a cut leaves its last page as a Partial receipt, except on a profile
// without a cutter, where the page is torn off whole. Previews and tests use
// it; replies the job asks for (GS r ...) are dropped.
func Interpret(profile string, job []byte, log *slog.Logger) ([]Receipt, error) {
	p, err := newPrinter(Options{Profile: profile}, log)
	if err != nil {
		return nil, err
	}
	p.receive(job)
	p.mu.Lock()
	defer p.mu.Unlock()
	if pg := p.m.tear(); pg != nil { // no cutter: torn off whole at the end of the job
		p.finish(pg, false)
	}
	if len(p.m.line) > 0 {
		p.m.printLine()
	}
	if pg := p.m.cut(); len(pg.blocks) > 0 || len(pg.raw) > 0 {
		p.finish(pg, true)
	}
	return append([]Receipt(nil), p.receipts...), nil
}
