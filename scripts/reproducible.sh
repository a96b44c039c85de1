#!/usr/bin/env bash
# Builds the committed tree (HEAD) twice, each in its own clean temporary
# directory with its own empty GOCACHE, with the flags of `make build` and the
# Dockerfile, and compares the sha256 of the two binaries. Prints both hashes;
# exits 1 when they differ (KEEP_DIR=dir keeps both binaries for comparison).
set -euo pipefail

repo=$(git rev-parse --show-toplevel)
rev=$(git -C "$repo" rev-parse HEAD) # fixed now: HEAD may move while we build
commit=${rev:0:12}
version=$(git -C "$repo" describe --tags --always "$rev" 2>/dev/null || echo dev)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

build() { # build NAME: export $rev into $work/NAME/src and build it there
	local dir=$work/$1
	mkdir -p "$dir/src" "$dir/gocache" "$dir/tmp"
	git -C "$repo" archive --format=tar "$rev" | tar -x -C "$dir/src"
	(
		cd "$dir/src"
		# The browser verifier (WebAssembly) is embedded into the binary
		# where the tree has one; build it first, as `make build` does.
		if [ -x scripts/build-verifier.sh ]; then
			env GOCACHE="$dir/gocache" GOTMPDIR="$dir/tmp" GOFLAGS= GOTOOLCHAIN=local ./scripts/build-verifier.sh >/dev/null
		fi
		env CGO_ENABLED=0 GOCACHE="$dir/gocache" GOTMPDIR="$dir/tmp" GOFLAGS= GOTOOLCHAIN=local \
			go build -trimpath -buildvcs=false \
			-ldflags "-buildid= -X main.version=$version -X main.commit=$commit" \
			-o "$dir/confidant" ./cmd/confidant
	)
	sha256sum "$dir/confidant" | cut -d' ' -f1
}

echo "building $commit ($version) twice with $(go version | cut -d' ' -f3)..."
a=$(build a)
b=$(build b)
echo "build a: $a"
echo "build b: $b"
if [ "$a" != "$b" ]; then
	echo "NOT reproducible: the two builds differ" >&2
	if [ -n "${KEEP_DIR:-}" ]; then
		mkdir -p "$KEEP_DIR"
		cp "$work/a/confidant" "$KEEP_DIR/confidant.a"
		cp "$work/b/confidant" "$KEEP_DIR/confidant.b"
		echo "kept both binaries in $KEEP_DIR" >&2
	fi
	exit 1
fi
echo "reproducible: both builds are byte-identical"
