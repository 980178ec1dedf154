//go:build !race

package integration

// raceEnabled: the tests run without -race, so the binary is too.
const raceEnabled = false
