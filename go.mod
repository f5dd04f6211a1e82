module github.com/rocketgo/rocketgo

go 1.24
