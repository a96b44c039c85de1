//go:build !race

package markdown

// raceSlowdown scales wall-clock limits in tests (see race_on_test.go).
const raceSlowdown = 1
