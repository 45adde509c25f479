package store

import "testing"

func TestPageSize(t *testing.T) {
	for _, c := range []struct{ in, want int }{
		{-1, DefaultPageSize}, {0, DefaultPageSize}, {1, 1}, {MaxPageSize, MaxPageSize}, {MaxPageSize + 1, MaxPageSize},
	} {
		if got := PageSize(c.in); got != c.want {
			t.Errorf("PageSize(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}
