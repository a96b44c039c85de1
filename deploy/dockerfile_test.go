package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
}

// stage is one FROM … block.
type stage struct {
	from         string
	instructions []instruction
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.instructions {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

func parseDockerfile(t *testing.T) []stage {
	t.Helper()
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages []stage
	var pending string
	for _, line := range strings.Split(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if pending == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			pending += strings.TrimSuffix(trimmed, `\`) + " "
			continue
		}
		full := pending + trimmed
		pending = ""
		cmd, args, _ := strings.Cut(full, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, stage{from: in.args})
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("instruction before FROM: %s", full)
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, in)
	}
	return stages
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stages", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]

	if !regexp.MustCompile(`^golang:1\.\d+\.\d+(-\w+)? AS build$`).MatchString(build.from) {
		t.Errorf("build stage %q is not a golang image pinned to a release", build.from)
	}
	gobuild := ""
	for _, run := range build.all("RUN") {
		if strings.Contains(run, "go build") {
			gobuild = run
		}
	}
	for _, flag := range []string{"-trimpath", "-buildvcs=false", "-buildid=", "-X main.version=${VERSION}", "-X main.commit=${COMMIT}", "./cmd/confidant"} {
		if !strings.Contains(gobuild, flag) {
			t.Errorf("go build lacks %s: %q", flag, gobuild)
		}
	}
	env := strings.Join(build.all("ENV"), " ")
	if !strings.Contains(env, "CGO_ENABLED=0") {
		t.Errorf("build stage does not disable cgo: %q", env)
	}
	args := strings.Join(build.all("ARG"), " ")
	if !strings.Contains(args, "VERSION") || !strings.Contains(args, "COMMIT") {
		t.Errorf("VERSION and COMMIT are not build args: %q", args)
	}

	if final.from != "scratch" && !strings.Contains(final.from, "distroless") {
		t.Errorf("final stage %q is not minimal", final.from)
	}
	users := final.all("USER")
	if len(users) == 0 {
		t.Fatal("final stage runs as root: no USER")
	}
	if u := users[len(users)-1]; u == "root" || u == "0" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:") {
		t.Errorf("final stage runs as %q", u)
	}
	if len(final.all("HEALTHCHECK")) == 0 || len(final.all("ENTRYPOINT")) == 0 {
		t.Error("final stage needs HEALTHCHECK and ENTRYPOINT")
	}
}

// The Makefile builds with the same reproducibility flags as the image.
func TestMakefileBuildFlags(t *testing.T) {
	raw, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{"BUILDFLAGS := -trimpath -buildvcs=false", "LDFLAGS   := -buildid= ", "CGO_ENABLED=0 $(GO) build $(BUILDFLAGS)"} {
		if !strings.Contains(text, want) {
			t.Errorf("Makefile lacks %q", want)
		}
	}
}
