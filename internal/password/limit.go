package password

import "runtime"

// slots bounds how many Argon2 and bcrypt computations run at once. Each
// Argon2 call allocates its full memory cost (19 MiB by default), so a burst
// of sign-ins must queue rather than allocate without limit; twice the
// number of CPUs keeps every CPU busy while capping memory.
var slots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// withSlot runs f while holding a slot.
func withSlot[T any](f func() T) T {
	slots <- struct{}{}
	defer func() { <-slots }()
	return f()
}
