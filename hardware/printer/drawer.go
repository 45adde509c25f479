package printer

import (
	"context"
	"errors"
	"fmt"

	"github.com/stillpay/stillpay/hardware/escpos"
)

// Cash drawer settings (Config.CashDrawer, posagent.yaml printer.cash_drawer).
const (
	DrawerOff  = "off"  // never kick (the default)
	DrawerPin2 = "pin2" // ESC p 0: the usual drawer connector pin
	DrawerPin5 = "pin5" // ESC p 1: a second drawer
)

// ErrDrawerOff is returned by OpenDrawer when no cash drawer is configured.
var ErrDrawerOff = errors.New("no cash drawer configured (printer.cash_drawer: off)")

// DrawerOpener is a printer that can pulse its cash drawer port. The
// escpos driver is one; call OpenDrawer rather than asserting it directly.
type DrawerOpener interface {
	OpenDrawer(ctx context.Context) error
}

// OpenDrawer kicks the cash drawer behind p (ESC p m t1 t2) on a cash-like
// event such as a refund payout. It returns ErrDrawerOff when none is
// configured or p cannot drive one; callers treat that as "nothing to do".
func OpenDrawer(ctx context.Context, p Printer) error {
	d, ok := p.(DrawerOpener)
	if !ok {
		return ErrDrawerOff
	}
	return d.OpenDrawer(ctx)
}

// drawerPin maps the setting to the ESC p pin; ok is false for off.
func drawerPin(setting string) (pin int, ok bool, err error) {
	switch setting {
	case "", DrawerOff:
		return 0, false, nil
	case DrawerPin2:
		return escpos.DrawerPin2, true, nil
	case DrawerPin5:
		return escpos.DrawerPin5, true, nil
	}
	return 0, false, fmt.Errorf("printer: %w: cash_drawer %q, want pin2, pin5 or off", ErrInvalidConfig, setting)
}

// OpenDrawer sends the drawer kick between jobs (never inside one).
func (p *escposPrinter) OpenDrawer(ctx context.Context) error {
	pin, on, err := drawerPin(p.cfg.CashDrawer)
	if err != nil {
		return err
	}
	if !on {
		return ErrDrawerOff
	}
	e := escpos.NewEncoder(p.profile).KickDrawer(pin, escpos.DefaultDrawerOnMs, escpos.DefaultDrawerOffMs)
	if err := e.Err(); err != nil {
		return fmt.Errorf("printer: %w", err)
	}
	p.jobMu.Lock()
	defer p.jobMu.Unlock()
	c, err := p.current(ctx)
	if err != nil {
		return err
	}
	_, err = p.send(ctx, c, e.Bytes())
	if err == nil {
		p.log.Info("cash drawer kicked", "pin", p.cfg.CashDrawer)
	}
	return err
}
