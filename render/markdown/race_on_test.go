//go:build race

package markdown

// raceSlowdown scales wall-clock limits in tests: the race detector makes
// the parser several times slower.
const raceSlowdown = 10
