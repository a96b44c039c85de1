#!/bin/sh
# Builds the browser verifier into one self-contained static folder that
# anyone can host: index.html, its script and style, Go's wasm_exec.js and
# verifier.wasm (cmd/verifier-wasm compiled to WebAssembly).
#   scripts/build-verifier.sh [OUTDIR]   (default: verifier/web, served by the app at /verifier/)
set -eu
cd "$(dirname "$0")/.."
out=${1:-verifier/web}
mkdir -p "$out"
if [ "$out" != verifier/web ]; then
	cp verifier/web/index.html verifier/web/verifier.js verifier/web/verifier.css "$out"/
fi
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out"/wasm_exec.js
GOOS=js GOARCH=wasm CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$out"/verifier.wasm ./cmd/verifier-wasm
