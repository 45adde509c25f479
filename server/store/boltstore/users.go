package boltstore

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/stillpay/stillpay/server/store"
)

func (s *engine) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	err := s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if tx.Bucket(bktUsers).Get([]byte(u.ID)) != nil {
			return fmt.Errorf("%w: user %s", store.ErrExists, u.ID)
		}
		return putJSON(tx.Bucket(bktUsers), []byte(u.ID), u)
	})
	if err != nil {
		return store.User{}, err
	}
	return u, nil
}

func (s *engine) GetUser(ctx context.Context, id string) (store.User, error) {
	var u store.User
	err := s.db.View(func(tx *bolt.Tx) error {
		return getJSON(tx.Bucket(bktUsers), []byte(id), "user "+id, &u)
	})
	return u, err
}

func (s *engine) ListUsers(ctx context.Context, p store.Page) ([]store.User, error) {
	return listByID[store.User](s.db, bktUsers, p)
}

func (s *engine) CreateSession(ctx context.Context, ss store.Session) error {
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		if tx.Bucket(bktUsers).Get([]byte(ss.UserID)) == nil {
			return fmt.Errorf("%w: user %q", store.ErrNotFound, ss.UserID)
		}
		if tx.Bucket(bktSessions).Get(ss.TokenHash) != nil {
			return fmt.Errorf("%w: session", store.ErrExists)
		}
		return putJSON(tx.Bucket(bktSessions), ss.TokenHash, ss)
	})
}

func (s *engine) GetSession(ctx context.Context, tokenHash []byte, now time.Time) (store.Session, error) {
	var ss store.Session
	err := s.db.View(func(tx *bolt.Tx) error {
		if len(tokenHash) == 0 {
			return fmt.Errorf("%w: session", store.ErrNotFound)
		}
		return getJSON(tx.Bucket(bktSessions), tokenHash, "session", &ss)
	})
	if err == nil && !now.Before(ss.ExpiresAt) {
		return store.Session{}, fmt.Errorf("%w: session expired", store.ErrNotFound)
	}
	return ss, err
}

func (s *engine) DeleteSession(ctx context.Context, tokenHash []byte) error {
	return s.w.do(ctx, 1, func(tx *bolt.Tx) error {
		return abort(tx.Bucket(bktSessions).Delete(tokenHash))
	})
}
