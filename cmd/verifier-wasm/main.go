//go:build js && wasm

// Command verifier-wasm is Confidant's verification code compiled to
// WebAssembly for the browser verifier (verifier/web). It exposes one
// function to the page, confidantVerify(url), which asks that deployment
// for its attestation report over a nonce made here, verifies it and every
// backend report in it, and resolves with the verdict as JSON.
package main

import (
	"context"
	"encoding/json"
	"syscall/js"
	"time"

	"confidant/enclave/evidence"
	remote "confidant/verifier/check"
)

func main() {
	js.Global().Set("confidantVerify", js.FuncOf(verifyPromise))
	select {} // keep the Go side alive for the page's calls
}

// verifyPromise wraps check in a JavaScript Promise: Go's fetch-backed
// HTTP client must not block the JavaScript event loop.
func verifyPromise(_ js.Value, args []js.Value) any {
	url := ""
	if len(args) > 0 {
		url = args[0].String()
	}
	executor := js.FuncOf(func(_ js.Value, p []js.Value) any {
		resolve, reject := p[0], p[1]
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			out, err := check(ctx, url)
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(string(out))
		}()
		return nil
	})
	defer executor.Release()
	return js.Global().Get("Promise").New(executor)
}

// check verifies the deployment at rawURL and returns the result as JSON.
// Quote chains are verified to Intel's root in the page; Intel's TCB
// collateral and NVIDIA's verifier are not asked (browsers cannot reach
// them across origins), so a real deployment comes out amber at best here:
// `confidant verify` asks both.
func check(ctx context.Context, rawURL string) ([]byte, error) {
	base, err := remote.BaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	res, err := remote.Deployment(ctx, base, remote.Options{Quotes: evidence.TDXQuotes{}})
	if err != nil {
		return nil, err
	}
	return json.Marshal(res)
}
