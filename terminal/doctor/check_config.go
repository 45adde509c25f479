package doctor

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/terminal/config"
)

func (r *run) checkConfig(context.Context) Result {
	cfg, err := config.Load(r.opt.ConfigPath)
	if err != nil {
		r.cfgErr = err
		example := filepath.Join(filepath.Dir(r.opt.ConfigPath), "posagent.example.yaml")
		switch {
		case errors.Is(err, config.ErrNotFound):
			return fail("install posagent (install.sh creates it) or copy "+example+" there and edit it", "%v", err)
		case errors.Is(err, config.ErrUnknownKey), errors.Is(err, config.ErrSyntax):
			return fail("correct the line named above; compare with "+example, "%v", err)
		}
		return fail("set the keys named above as the message says, then run posagent doctor again", "%v", err)
	}
	r.cfg = &cfg
	return ok("%s is valid (server %s)", cfg.Path, cfg.Server.URL)
}

// asAgentUser is the fix when the doctor may not read the agent's files.
const asAgentUser = "run the doctor as root or as the agent's user: sudo posagent doctor"

const provisionFix = "enroll the terminal: posagent provision --server URL --enroll-code CODE (get a code from the operator: settlementd admin)"

func (r *run) checkIdentity(context.Context) Result {
	if r.cfg == nil {
		return skip("needs a valid config")
	}
	id, err := config.LoadIdentity(r.cfg.Identity.StateFile)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fail(asAgentUser, "cannot read the identity: %v", err)
	case errors.Is(err, config.ErrNotEnrolled):
		return fail(provisionFix, "not enrolled: no identity file at %s", r.cfg.Identity.StateFile)
	case err != nil:
		return fail("re-enroll with a new code: posagent provision --force --server URL --enroll-code CODE", "%v", err)
	}
	key, err := keyfile.Load(r.cfg.Identity.KeyFile)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fail(asAgentUser, "cannot read the terminal key: %v", err)
	case errors.Is(err, keyfile.ErrPermissions):
		return fail(fmt.Sprintf("chmod 600 %s (and keep it owned by the agent's user)", r.cfg.Identity.KeyFile), "%v", err)
	case err != nil:
		return fail("the key and the identity belong together: re-enroll with posagent provision --force --server URL --enroll-code CODE",
			"identity for terminal %s but its key is unusable: %v", id.TerminalID, err)
	}
	r.identity = &id
	r.key = key
	pub := key.Public().(ed25519.PublicKey)
	return ok("terminal %s of %s (merchant %s), key %s (mode 0600, public %x…)", id.TerminalID, id.MerchantName, id.MerchantID, r.cfg.Identity.KeyFile, pub[:4])
}
