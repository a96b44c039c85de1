package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	port := addr[strings.LastIndex(addr, ":")+1:]
	tests := []struct {
		name   string
		addr   string
		status int
		code   int
	}{
		{"healthy", addr, http.StatusOK, exitOK},
		{"listening on all addresses", "0.0.0.0:" + port, http.StatusOK, exitOK},
		{"unhealthy", addr, http.StatusServiceUnavailable, exitError},
		{"nothing listening", "127.0.0.1:1", http.StatusOK, exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status = tt.status
			var stdout, stderr bytes.Buffer
			env := map[string]string{"CONFIDANT_ADDR": tt.addr}
			if code := run(context.Background(), []string{"healthcheck"}, func(k string) string { return env[k] }, &stdout, &stderr); code != tt.code {
				t.Fatalf("code %d, want %d: %s", code, tt.code, stderr.String())
			}
		})
	}
}
