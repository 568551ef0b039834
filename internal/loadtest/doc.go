// Package loadtest drives an OpenID Connect provider over plain HTTP and
// measures throughput and latency of its token endpoint and of complete
// browserless sign-ins.
//
// It knows nothing about Gatehouse internals: everything goes through the
// provider's discovery document, so the same run can compare Gatehouse with
// another provider (Logto, Dex, Hydra) on equal terms.
package loadtest
