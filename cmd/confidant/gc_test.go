package main

import (
	"io"
	"log/slog"
	"runtime/debug"
	"testing"
)

// serve raises the GC target only when the operator has not set GOGC.
func TestTuneGC(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	tests := []struct {
		name string
		gogc string
		want int
	}{
		{"unset", "", defaultGCPercent},
		{"operator's choice kept", "50", 100},
		{"off kept", "off", 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			tuneGC(func(k string) string {
				if k == "GOGC" {
					return tt.gogc
				}
				return ""
			}, log)
			if got := debug.SetGCPercent(100); got != tt.want {
				t.Fatalf("GC percent = %d, want %d", got, tt.want)
			}
		})
	}
}
