.PHONY: run test build bench

# Run the server with an embedded SQLite database under ./data.
run:
	go run ./cmd/gatehouse serve

# Run the whole test suite (starts the local PostgreSQL if it is stopped).
test:
	scripts/test.sh

build:
	CGO_ENABLED=0 go build -trimpath -o gatehouse ./cmd/gatehouse

bench:
	go test -run '^$$' -bench . -benchmem ./internal/keys/ ./internal/oidc/
