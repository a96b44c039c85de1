package main

import (
	"log/slog"
	"runtime/debug"
)

// defaultGCPercent is the garbage collector's target for serve when GOGC
// is unset. The server's live heap is small (tens of MB) and every chat
// allocates per token, so at Go's default of 100 marking took about 7% of
// the server's CPU under steady chat load; at 400 it takes under 2%, for
// about 25 MB more resident memory under load and about 30 MB more at the
// peak of a 1,000-chat burst (internal/chatbench -parts 12).
const defaultGCPercent = 400

// tuneGC sets the GC target for serve unless the operator chose one with
// GOGC; GOMEMLIMIT, when set, still caps the heap as the runtime reads it.
func tuneGC(getenv func(string) string, log *slog.Logger) {
	if getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(defaultGCPercent)
	log.Info("garbage collector target set", "gc_percent", defaultGCPercent)
}
