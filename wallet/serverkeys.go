package wallet

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/stillpay/stillpay/shared/protocol"
)

// LoadServerKeys implements Store.
func (d DirStore) LoadServerKeys() ([]protocol.ServerKey, error) {
	var keys []protocol.ServerKey
	err := d.load(ServerKeysFile, &keys, errNoServerKeys)
	if errors.Is(err, errNoServerKeys) {
		return nil, nil
	}
	return keys, err
}

// SaveServerKeys implements Store.
func (d DirStore) SaveServerKeys(keys []protocol.ServerKey) error {
	return d.save(ServerKeysFile, keys)
}

// LoadServerKeys implements Store.
func (m *MemStore) LoadServerKeys() ([]protocol.ServerKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]protocol.ServerKey(nil), m.keys...), nil
}

// SaveServerKeys implements Store.
func (m *MemStore) SaveServerKeys(keys []protocol.ServerKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailSave != nil {
		return m.FailSave
	}
	m.keys = append([]protocol.ServerKey(nil), keys...)
	return nil
}

var errNoServerKeys = errors.New("wallet: no server keys stored")

// trustedKeys returns the server keys the wallet trusts: those it saved, else those of its first
// approval (the same trust as flow 1's credentials), else none.
func (w *Wallet) trustedKeys() ([]protocol.ServerKey, error) {
	keys, err := w.store.LoadServerKeys()
	if err != nil || len(keys) > 0 {
		return keys, err
	}
	a, err := w.store.LoadAuthorization()
	switch {
	case errors.Is(err, ErrNotAuthorized):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return a.ServerKeys, nil
}

// learnKeys fetches the server's keys (GET /v1/keys) and adds those a trusted key endorses
// (protocol.AcceptKeys), saving the grown list before it is used. A wallet that trusts no key yet
// takes the server's list as it is, over the link it logged in on, exactly as it trusts the keys of
// its first approval.
func (w *Wallet) learnKeys(ctx context.Context, serverURL string, trusted []protocol.ServerKey) ([]protocol.ServerKey, error) {
	var resp struct {
		Keys []protocol.ServerKey `json:"keys"`
	}
	if err := w.get(ctx, serverURL+protocol.PathServerKeys, &resp); err != nil {
		return nil, err
	}
	merged := resp.Keys
	if len(trusted) > 0 {
		var added []string
		var err error
		merged, added, err = protocol.AcceptKeys(trusted, resp.Keys)
		if err != nil {
			w.log.Warn("server keys not accepted", "err", err)
		}
		if len(added) == 0 {
			return trusted, nil
		}
		w.log.Info("learned server keys", "keys", added)
	} else if len(merged) == 0 || len(merged) > protocol.MaxOfferedKeys {
		return nil, fmt.Errorf("%w: %d server keys", ErrBadResponse, len(merged))
	}
	if err := w.store.SaveServerKeys(merged); err != nil {
		return nil, err
	}
	return merged, nil
}

// get fetches endpoint and decodes a 2xx JSON answer into out.
func (w *Wallet) get(ctx context.Context, endpoint string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	return w.do(req, out)
}
