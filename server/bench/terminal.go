package bench

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

// maxAnswerBytes bounds an answer the simulated clients read.
const maxAnswerBytes = 16 << 20

// Terminal is an enrolled terminal that signs its requests as posagent does.
type Terminal struct {
	ID      string
	Key     ed25519.PrivateKey
	BaseURL string
	HTTP    *http.Client
	// Now is the terminal clock used to sign; nil means time.Now. Tests move it with a fake server clock.
	Now func() time.Time
	// Session and SessionKey, once OpenSession set them, MAC each request instead of signing it
	// (docs/protocol.md, "Terminal sessions").
	Session    string
	SessionKey []byte
	// GroupProofs announces protocol.HeaderApprovalProof, as posagent does: the server then proves
	// each approval in a group signed once (docs/protocol.md, "Approval groups") instead of signing
	// it alone.
	GroupProofs bool
}

// OpenSession opens a terminal session (an Ed25519-signed request with a fresh X25519 key) and MACs
// every later request under its key.
func (t *Terminal) OpenSession(ctx context.Context) error {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(protocol.TerminalSessionRequest{PublicKey: priv.PublicKey().Bytes()})
	if err != nil {
		return err
	}
	t.Session, t.SessionKey = "", nil
	ans, err := t.PostRaw(ctx, protocol.PathTerminalSession, raw)
	if err != nil {
		return err
	}
	if p := ans.Problem(); p != nil {
		return p
	}
	var resp protocol.TerminalSessionResponse
	if err := ans.Decode(&resp); err != nil {
		return err
	}
	key, err := protocol.OpenSessionKey(priv, t.ID, resp)
	if err != nil {
		return err
	}
	t.Session, t.SessionKey = resp.SessionID, key
	return nil
}

// authenticate MACs req under the session, or signs it without one.
func (t *Terminal) authenticate(req *http.Request, raw []byte) error {
	if t.GroupProofs {
		req.Header.Set(protocol.HeaderApprovalProof, protocol.ApprovalProofGroup)
	}
	if t.Session != "" {
		return protocol.MACRequest(req, t.ID, t.Session, t.SessionKey, t.now(), raw)
	}
	return protocol.SignRequest(req, t.ID, t.Key, t.now(), raw)
}

func (t *Terminal) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Answer is a raw HTTP answer: status and the exact body bytes.
type Answer struct {
	Status int
	Body   []byte
	Nonce  string // the signed request's nonce, which a batch answer's signature covers
}

// Decode unmarshals the body into v.
func (a Answer) Decode(v any) error { return json.Unmarshal(a.Body, v) }

// Problem returns the problem document of a non-2xx answer, or nil.
func (a Answer) Problem() *protocol.Problem {
	if a.Status/100 == 2 {
		return nil
	}
	p, err := protocol.ParseProblem(a.Status, a.Body)
	if err != nil {
		return &protocol.Problem{Status: a.Status, Detail: string(a.Body)}
	}
	return p
}

// Post signs body (marshalled once; the signature covers these exact bytes) and sends it.
func (t *Terminal) Post(ctx context.Context, path string, body any) (Answer, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return Answer{}, err
	}
	return t.PostRaw(ctx, path, raw)
}

// PostRaw signs and sends raw bytes as they are.
func (t *Terminal) PostRaw(ctx context.Context, path string, raw []byte) (Answer, error) {
	req, err := t.SignedPost(ctx, path, raw)
	if err != nil {
		return Answer{}, err
	}
	return t.Send(req)
}

// SignedPost builds and signs a POST of raw without sending it, so a load generator can sign its
// requests before the clock starts (the signature's timestamp must then be sent within
// protocol.MaxRequestSkew). A request is sent once: its nonce is single use.
func (t *Terminal) SignedPost(ctx context.Context, path string, raw []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(t.BaseURL, "/")+path, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := t.authenticate(req, raw); err != nil {
		return nil, err
	}
	return req, nil
}

// Send sends a request made by SignedPost.
func (t *Terminal) Send(req *http.Request) (Answer, error) { return send(t.client(), req) }

// Get sends a signed GET.
func (t *Terminal) Get(ctx context.Context, path string) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(t.BaseURL, "/")+path, nil)
	if err != nil {
		return Answer{}, err
	}
	if err := t.authenticate(req, nil); err != nil {
		return Answer{}, err
	}
	return send(t.client(), req)
}

func (t *Terminal) client() *http.Client {
	if t.HTTP != nil {
		return t.HTTP
	}
	return http.DefaultClient
}

func send(c *http.Client, req *http.Request) (Answer, error) {
	resp, err := c.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return Answer{}, fmt.Errorf("read answer: %w", err)
	}
	return Answer{Status: resp.StatusCode, Body: raw, Nonce: req.Header.Get(protocol.HeaderNonce)}, nil
}

// Enroll redeems an enrollment code with a fresh key and returns the enrolled terminal.
func Enroll(ctx context.Context, c *http.Client, baseURL, code string) (*Terminal, protocol.EnrollResponse, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, protocol.EnrollResponse{}, err
	}
	raw, err := json.Marshal(protocol.EnrollRequest{EnrollCode: code, PublicKey: pub, Hostname: "bench"})
	if err != nil {
		return nil, protocol.EnrollResponse{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+protocol.PathEnroll, bytes.NewReader(raw))
	if err != nil {
		return nil, protocol.EnrollResponse{}, err
	}
	ans, err := send(c, req)
	if err != nil {
		return nil, protocol.EnrollResponse{}, err
	}
	if p := ans.Problem(); p != nil {
		return nil, protocol.EnrollResponse{}, p
	}
	var er protocol.EnrollResponse
	if err := ans.Decode(&er); err != nil {
		return nil, protocol.EnrollResponse{}, err
	}
	return &Terminal{ID: er.TerminalID, Key: priv, BaseURL: baseURL, HTTP: c}, er, nil
}
