package pushtest

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Browser is one subscription a test made: its endpoint at the receiver and its keys.
type Browser struct {
	Endpoint string
	Key      *ecdh.PrivateKey
	Auth     []byte
	answers  []int // statuses to answer, in turn; the last one repeats
}

// SubscriptionJSON is the subscription as a browser's PushSubscription.toJSON() gives it.
func (b *Browser) SubscriptionJSON() []byte {
	out, _ := json.Marshal(map[string]any{"endpoint": b.Endpoint, "expirationTime": nil,
		"keys": map[string]string{"p256dh": base64.RawURLEncoding.EncodeToString(b.Key.PublicKey().Bytes()),
			"auth": base64.RawURLEncoding.EncodeToString(b.Auth)}})
	return out
}

// Message is one request the receiver got, checked and decrypted.
type Message struct {
	Endpoint string
	Status   int    // what the receiver answered
	VAPIDKey string // the k of the Authorization header
	Claims   Claims
	Plain    []byte // the decrypted payload
	Err      error  // a failed check: header, VAPID or decryption
}

// Receiver is the local push service.
type Receiver struct {
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	browsers map[string]*Browser // by path
	got      chan Message
}

// NewReceiver starts a push service on 127.0.0.1, closed when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	r := &Receiver{browsers: map[string]*Browser{}, got: make(chan Message, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	t.Cleanup(r.srv.Close)
	return r
}

// NewBrowser makes a subscription with a fresh P-256 key pair and auth secret. answers are the
// statuses the receiver gives its requests in turn (the last repeats); none means 201 Created.
func (r *Receiver) NewBrowser(t testing.TB, name string, answers ...int) *Browser {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	if len(answers) == 0 {
		answers = []int{http.StatusCreated}
	}
	b := &Browser{Endpoint: r.URL + "/push/" + name, Key: k, Auth: auth, answers: answers}
	r.mu.Lock()
	r.browsers["/push/"+name] = b
	r.mu.Unlock()
	return b
}

// Next waits up to d for the next request.
func (r *Receiver) Next(t testing.TB, d time.Duration) (Message, bool) {
	t.Helper()
	select {
	case m := <-r.got:
		return m, true
	case <-time.After(d):
		return Message{}, false
	}
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	b := r.browsers[req.URL.Path]
	status := http.StatusNotFound
	if b != nil {
		status = b.answers[0]
		if len(b.answers) > 1 {
			b.answers = b.answers[1:]
		}
	}
	r.mu.Unlock()
	m := Message{Endpoint: r.URL + req.URL.Path, Status: status}
	body, err := io.ReadAll(io.LimitReader(req.Body, 8<<10))
	switch {
	case err != nil:
		m.Err = err
	case b == nil:
		m.Err = fmt.Errorf("pushtest: no subscription at %s", req.URL.Path)
	case req.Method != http.MethodPost || req.Header.Get("Content-Encoding") != "aes128gcm" || req.Header.Get("TTL") == "":
		m.Err = fmt.Errorf("pushtest: %s with Content-Encoding %q, TTL %q", req.Method, req.Header.Get("Content-Encoding"), req.Header.Get("TTL"))
	default:
		// RFC 8292 section 2: aud is the push resource's origin.
		m.VAPIDKey, m.Claims, m.Err = VerifyVAPID(req.Header.Get("Authorization"), strings.TrimSuffix(r.URL, "/"), time.Now())
		if m.Err == nil {
			m.Plain, m.Err = Decrypt(body, b.Key, b.Auth)
		}
	}
	w.WriteHeader(status)
	r.got <- m
}
