package supervise

import (
	"context"
	"errors"
	"testing"
)

var errBoom = errors.New("boom")

// waitCtx is a service that runs until the group stops.
func waitCtx(ctx context.Context) error { <-ctx.Done(); return nil }

func TestGroup(t *testing.T) {
	tests := []struct {
		name string
		// start adds the parts; the group also always runs two waitCtx services that must be stopped.
		start     func(g *Group)
		stopFirst bool // stop the group from outside (as a signal would)
		wantPart  string
		wantErr   error
	}{
		{"a failing service stops the others", func(g *Group) {
			g.Go("bad", func(context.Context) error { return errBoom })
		}, false, "bad", errBoom},
		{"a service ending early stops the others", func(g *Group) {
			g.Go("scanner", func(context.Context) error { return nil })
		}, false, "scanner", ErrEnded},
		{"a failing task stops the others", func(g *Group) {
			g.Task("refresh", func(context.Context) error { return errBoom })
		}, false, "refresh", errBoom},
		{"a task finishing is no failure", func(g *Group) {
			g.Task("refresh", func(context.Context) error { return nil })
		}, true, "", nil},
		{"an error returned after the stop is reported", func(g *Group) {
			g.Go("http", func(ctx context.Context) error { <-ctx.Done(); return errBoom })
		}, true, "http", errBoom},
		{"context.Canceled after the stop is no failure", func(g *Group) {
			g.Go("loop", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		}, true, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ctx := New(context.Background())
			stopped := make(chan string, 2)
			for _, n := range []string{"a", "b"} {
				g.Go(n, func(ctx context.Context) error { err := waitCtx(ctx); stopped <- n; return err })
			}
			tt.start(g)
			if tt.stopFirst {
				g.Stop(errors.New("signal"))
			}
			err := g.Wait()
			if len(stopped) != 2 {
				t.Fatalf("Wait returned with %d of 2 services stopped", len(stopped))
			}
			if ctx.Err() == nil {
				t.Error("the group's context is still live after Wait")
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Wait = %v, want nil", err)
				}
				return
			}
			var pe *PartError
			if !errors.As(err, &pe) || pe.Part != tt.wantPart || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Wait = %v, want a PartError of %q wrapping %v", err, tt.wantPart, tt.wantErr)
			}
			if !errors.Is(g.Cause(), tt.wantErr) && !tt.stopFirst {
				t.Errorf("Cause = %v, want the failure", g.Cause())
			}
		})
	}
}

func TestParentCancelStopsTheGroup(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	g, _ := New(parent)
	g.Go("a", waitCtx)
	cancel()
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait = %v, want nil after the parent ended", err)
	}
}

func TestOnlyTheFirstFailureIsReported(t *testing.T) {
	g, _ := New(context.Background())
	first := make(chan struct{})
	g.Go("first", func(context.Context) error { defer close(first); return errBoom })
	g.Go("second", func(ctx context.Context) error { <-first; <-ctx.Done(); return errors.New("later") })
	err := g.Wait()
	var pe *PartError
	if !errors.As(err, &pe) || pe.Part != "first" {
		t.Fatalf("Wait = %v, want the first part's failure", err)
	}
}
