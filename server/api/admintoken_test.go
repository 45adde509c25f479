package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
)

// TestAdminTokenFileIsReloadedWhenReplaced: an operator rotates the admin token by replacing the
// file (renamed over it, or rewritten in place); the next admin call uses the new token and refuses
// the old one, without a restart. A file made weak (too short) or removed closes the admin API.
func TestAdminTokenFileIsReloadedWhenReplaced(t *testing.T) {
	s := newStack(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "admin.token")
	write := func(tok string) {
		t.Helper()
		tmp := filepath.Join(dir, "new.token")
		if err := keyfile.WriteSecret(tmp, []byte(tok+"\n")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	tokA, tokB, tokC := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
	write(tokA)
	srv := httptest.NewServer(New(Config{Service: s.svc, AdminTokenFile: file}))
	defer srv.Close()
	check := func(tok string) error {
		_, err := (&admin.Client{BaseURL: srv.URL, Token: tok, HTTP: srv.Client()}).Check(context.Background())
		return err
	}
	unauth := &protocol.Problem{Code: protocol.CodeUnauthenticated}
	if err := check(tokA); err != nil {
		t.Fatalf("first token: %v", err)
	}
	write(tokB) // renamed over the old file
	if err := check(tokA); !errors.Is(err, unauth) {
		t.Fatalf("old token after the file was replaced: %v", err)
	}
	if err := check(tokB); err != nil {
		t.Fatalf("new token without a restart: %v", err)
	}
	if err := os.WriteFile(file, []byte(tokC+"\n"), 0o600); err != nil { // rewritten in place
		t.Fatal(err)
	}
	if err := check(tokC); err != nil {
		t.Fatalf("token rewritten in place: %v", err)
	}
	short := strings.Repeat("d", admin.MinTokenLen-1)
	write(short)
	for _, tok := range []string{tokC, short} {
		if err := check(tok); !errors.Is(err, unauth) {
			t.Fatalf("with a weak token file, token %.8s…: %v", tok, err)
		}
	}
	os.Remove(file)
	if err := check(tokC); !errors.Is(err, unauth) {
		t.Fatalf("with the token file removed: %v", err)
	}
	write(tokA)
	if err := check(tokA); err != nil {
		t.Fatalf("token file restored: %v", err)
	}
}

// TestShortAdminTokensAreRefused: LoadToken refuses a token under admin.MinTokenLen characters and
// says the minimum; a short fixed token turns the admin API off rather than guarding it weakly.
func TestShortAdminTokensAreRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "admin.token")
	for _, tok := range []string{"1234", "password", strings.Repeat("x", admin.MinTokenLen-1), "with space " + strings.Repeat("y", 40)} {
		if err := keyfile.WriteSecret(file, []byte(tok)); err != nil {
			t.Fatal(err)
		}
		_, err := admin.LoadToken(file)
		if !errors.Is(err, admin.ErrWeakToken) {
			t.Fatalf("token %q: %v", tok, err)
		}
		if len(tok) < admin.MinTokenLen && !strings.Contains(err.Error(), "at least 32") {
			t.Fatalf("the error does not say the minimum: %v", err)
		}
		os.Remove(file)
	}
	if err := keyfile.WriteSecret(file, []byte(strings.Repeat("z", admin.MinTokenLen))); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.LoadToken(file); err != nil {
		t.Fatalf("a token of the minimum length: %v", err)
	}
	s := newStack(t)
	srv := httptest.NewServer(New(Config{Service: s.svc, AdminToken: "short"}))
	defer srv.Close()
	_, err := (&admin.Client{BaseURL: srv.URL, Token: "short", HTTP: srv.Client()}).Check(context.Background())
	var p *protocol.Problem
	if !errors.As(err, &p) || p.Status != http.StatusUnauthorized {
		t.Fatalf("a short fixed token guards the admin API: %v", err)
	}
}
