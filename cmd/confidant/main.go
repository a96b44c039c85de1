// Command confidant runs the Confidant server and its maintenance tasks.
//
//	confidant [serve]          run the web app (default)
//	confidant migrate up       apply pending database migrations
//	confidant migrate status   list migrations and whether each is applied
//	confidant keys rotate      re-wrap every data key under a new KEK version
//	confidant dev apikey USER  print an API key with every scope (simulated only)
//	confidant verify URL        verify a deployment's attestation (exit 3: simulated)
//	confidant version          print the version and source commit
//	confidant attest inspect|verify FILE  parse or verify a raw TDX quote
//	confidant bundle inspect|decrypt FILE  check or unpack an account export
//
// Configuration comes from the environment; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = "unknown"
)

// Exit codes shared by every subcommand (DESIGN.md).
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
	// exitNotGreen: verify found nothing wrong, but the evidence is
	// simulated or a check could not run.
	exitNotGreen = 3
)

const usage = `usage: confidant [command]

commands:
  serve            run the web app (default)
  migrate up       apply pending database migrations
  migrate status   list migrations and whether each is applied
  keys rotate      re-wrap every data key under a new KEK version (resumable)
  dev apikey USER  print an API key with every scope (simulated enclave only)
  devbackend --addr HOST:PORT [--tokens N] [--delay D] [--seed S] [--key K]
                   run the simulated inference backend
  verify URL [--json] [--allow key=hex,…] [--nras URL|off] [--strict-tcb]
                   verify a deployment's attestation with a fresh nonce; exit 0
                   verified on real hardware, 3 nothing failed but simulated or
                   unchecked, 1 failed
  version          print the version and source commit
  attest inspect FILE [--hex]
                   print a raw TDX quote's fields as JSON (--hex: hex input)
  attest verify FILE [--hex] [--at RFC3339]
                   verify a TDX quote's signature chain to Intel's root
                   offline, as of --at (default now)
  healthcheck      exit 0 when the server on CONFIDANT_ADDR answers /healthz
  bundle inspect FILE [--identity FILE] [--json]
                   check an export (every checksum) and print its manifest and
                   counts; the passphrase comes from CONFIDANT_PASSPHRASE or a
                   prompt, or give the age identity file
  bundle decrypt FILE [--out DIR] [--identity FILE]
                   write an export's files to a new directory
`

// errUsage marks a command-line mistake (exit code 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, getenv, stdout, stderr)
	case "migrate":
		err = migrate(ctx, args, getenv, stdout)
	case "devbackend":
		err = devbackend(ctx, args, getenv, stdout, stderr)
	case "dev":
		err = devCmd(ctx, args, getenv, stdout, stderr)
	case "keys":
		err = keysCmd(ctx, args, getenv, stdout, stderr)
	case "verify":
		err = verifyCmd(ctx, args, stdout, stderr)
	case "attest":
		err = attestCmd(args, os.Stdin, stdout, stderr)
	case "healthcheck":
		err = healthcheck(ctx, args, getenv)
	case "bundle":
		err = bundleCmd(args, getenv, os.Stdin, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "confidant %s (commit %s)\n", version, commit)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errNotGreen):
		fmt.Fprintf(stderr, "confidant: %v\n", err)
		return exitNotGreen
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "confidant: %v\n\n%s", err, usage)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "confidant: %v\n", err)
		return exitError
	}
}
