package service

import (
	"errors"
	"net/http"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// checkID accepts 1..MaxIDLen printable ASCII characters without spaces: ids end up in keys, logs and
// receipts, where anything else causes trouble.
func checkID(field, id string) error {
	if len(id) == 0 || len(id) > protocol.MaxIDLen {
		return invalidField(field, "%s must be 1 to %d characters", field, protocol.MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return invalidField(field, "%s may hold only printable ASCII characters without spaces", field)
		}
	}
	return nil
}

// checkAmount accepts a positive amount in a known currency.
func checkAmount(field string, a money.Amount) error {
	if a == (money.Amount{}) {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidAmount, "%s is required: {\"minor\": N, \"currency\": \"EUR\"}", field)
		p.Field = field
		return p
	}
	err := a.Validate(money.ParseOptions{})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, money.ErrUnknownCurrency):
		p := problem(http.StatusBadRequest, protocol.CodeInvalidCurrency, "%s: unknown currency %q", field, truncate(a.Currency))
		p.Field = field + ".currency"
		return p
	default:
		p := problem(http.StatusBadRequest, protocol.CodeInvalidAmount, "%s must be a positive number of minor units", field)
		p.Field = field + ".minor"
		return p
	}
}

func truncate(s string) string {
	if len(s) > protocol.MaxIDLen {
		return s[:protocol.MaxIDLen] + "…"
	}
	return s
}
