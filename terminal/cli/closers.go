package cli

import (
	"errors"
	"fmt"
	"log/slog"
)

// closeStack closes what a daemon opened, last opened first: the agent before the devices it drives,
// the devices before the queue. Every closer runs even if one fails; the errors are joined.
type closeStack struct {
	names []string
	fns   []func() error
}

func (c *closeStack) push(name string, fn func() error) {
	c.names = append(c.names, name)
	c.fns = append(c.fns, fn)
}

// close runs the closers in reverse order, logs each failure and returns them joined.
func (c *closeStack) close(log *slog.Logger) error {
	var errs []error
	for i := len(c.fns) - 1; i >= 0; i-- {
		if err := c.fns[i](); err != nil {
			log.Error("close failed", "part", c.names[i], "err", err)
			errs = append(errs, fmt.Errorf("closing the %s: %w", c.names[i], err))
		}
	}
	c.names, c.fns = nil, nil
	return errors.Join(errs...)
}
