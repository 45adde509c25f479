package cli

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/api"
	"github.com/stillpay/stillpay/server/push"
	"github.com/stillpay/stillpay/server/service"
)

// TestOpenAppWithPush: --push-contact makes DATA/vapid.key (0600) and a service that serves its
// public key; the same key after a restart; a bad contact stops the start; no flag, no key file.
func TestOpenAppWithPush(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	open := func(data, contact string) (*app, error) {
		return openApp(ctx, data, "", filepath.Join(data, adminTokenFileName), time.Second, contact,
			service.Config{Policy: service.DefaultPolicy()}, api.Config{}, log)
	}
	data := t.TempDir()
	a, err := open(data, "mailto:ops@stillpay.test")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(data, push.VAPIDKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("vapid.key: %v %v", fi, err)
	}
	if a.push == nil {
		t.Fatal("no push sender with --push-contact")
	}
	first := a.push.PublicKey()
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	b, err := open(data, "mailto:ops@stillpay.test")
	if err != nil {
		t.Fatal(err)
	}
	if b.push.PublicKey() != first {
		t.Errorf("the VAPID key changed across a restart")
	}
	b.close()
	if _, err := open(data, "ops@stillpay.test"); !errors.Is(err, push.ErrConfig) {
		t.Errorf("a contact without mailto: started: %v", err)
	}

	plain := t.TempDir()
	c, err := open(plain, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if c.push != nil {
		t.Errorf("a push sender without --push-contact")
	}
	if _, err := os.Stat(filepath.Join(plain, push.VAPIDKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("vapid.key made without --push-contact: %v", err)
	}
}
