module github.com/rocketgo/rocketgo/bench

go 1.24.0

replace github.com/rocketgo/rocketgo => ../

require (
	github.com/nats-io/nats.go v1.37.0
	github.com/rocketgo/rocketgo v0.0.0-00010101000000-000000000000
)

require (
	github.com/klauspost/compress v1.17.2 // indirect
	github.com/nats-io/nkeys v0.4.7 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	golang.org/x/crypto v0.18.0 // indirect
	golang.org/x/sys v0.16.0 // indirect
)
