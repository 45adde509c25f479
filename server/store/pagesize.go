package store

// PageSize turns a requested page size into the one every store uses: DefaultPageSize for zero or
// less, at most MaxPageSize.
func PageSize(n int) int {
	switch {
	case n <= 0:
		return DefaultPageSize
	case n > MaxPageSize:
		return MaxPageSize
	}
	return n
}
