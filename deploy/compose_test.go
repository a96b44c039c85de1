package deploy

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of the Compose specification compose.yaml uses.
type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string               `yaml:"image"`
	Environment map[string]string    `yaml:"environment"`
	Volumes     []string             `yaml:"volumes"`
	DependsOn   map[string]dependsOn `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Privileged  bool     `yaml:"privileged"`
	CapAdd      []string `yaml:"cap_add"`
	CapDrop     []string `yaml:"cap_drop"`
	User        string   `yaml:"user"`
	NetworkMode string   `yaml:"network_mode"`
	Pid         string   `yaml:"pid"`
	Ports       []string `yaml:"ports"`
}

type dependsOn struct {
	Condition string `yaml:"condition"`
}

// interpolation matches ${VAR}, ${VAR:-default} and ${VAR:?message}.
var interpolation = regexp.MustCompile(`\$\{([A-Z_]+)(:[-?][^}]*)?\}`)

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Interpolate as docker compose would, with a stand-in for every value.
	text := interpolation.ReplaceAllString(string(raw), "value-of-$1")
	var c composeFile
	if err := yaml.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// documented are the variables DESIGN.md lists ("Environment").
var documented = []string{"DATABASE_URL", "CONFIDANT_ADDR", "CONFIDANT_ORIGIN", "CONFIDANT_DATA_DIR",
	"CONFIDANT_ENCLAVE", "CONFIDANT_REQUIRE_TEE", "CONFIDANT_BACKEND_URL", "CONFIDANT_BACKEND_KEY",
	"CONFIDANT_BACKEND_ALLOW", "CONFIDANT_REGISTRATION"}

func TestComposeWiring(t *testing.T) {
	c := loadCompose(t)
	app, ok := c.Services["confidant"]
	if !ok {
		t.Fatal("no confidant service")
	}
	db, ok := c.Services["postgres"]
	if !ok {
		t.Fatal("no postgres service")
	}

	t.Run("confidant waits for a healthy postgres", func(t *testing.T) {
		if app.DependsOn["postgres"].Condition != "service_healthy" {
			t.Fatalf("depends_on: %+v", app.DependsOn)
		}
	})
	t.Run("DATABASE_URL points at the postgres service", func(t *testing.T) {
		u, err := url.Parse(app.Environment["DATABASE_URL"])
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme != "postgres" || u.Hostname() != "postgres" || u.Path != "/"+db.Environment["POSTGRES_DB"] ||
			u.User.Username() != db.Environment["POSTGRES_USER"] {
			t.Fatalf("DATABASE_URL %s does not match the postgres service %v", u.Redacted(), db.Environment)
		}
		if p, _ := u.User.Password(); p != db.Environment["POSTGRES_PASSWORD"] {
			t.Fatal("DATABASE_URL password is not the postgres service's POSTGRES_PASSWORD")
		}
	})
	t.Run("real TEE required, dstack socket mounted", func(t *testing.T) {
		env := app.Environment
		if env["CONFIDANT_REQUIRE_TEE"] != "1" || env["CONFIDANT_ENCLAVE"] != "dstack" || env["CONFIDANT_ORIGIN"] == "" {
			t.Fatalf("environment %v", env)
		}
		if !slices.Contains(app.Volumes, "/var/run/dstack.sock:/var/run/dstack.sock") {
			t.Fatalf("dstack socket not mounted: %v", app.Volumes)
		}
		for name := range env {
			if !slices.Contains(documented, name) {
				t.Errorf("%s is not a variable DESIGN.md documents", name)
			}
		}
	})
	t.Run("data on named volumes", func(t *testing.T) {
		for svc, target := range map[string]string{"postgres": "/var/lib/postgresql/data", "confidant": app.Environment["CONFIDANT_DATA_DIR"]} {
			found := false
			for _, v := range c.Services[svc].Volumes {
				src, dst, _ := strings.Cut(v, ":")
				if dst == target {
					if _, declared := c.Volumes[src]; !declared {
						t.Errorf("%s: %s is not a declared named volume", svc, src)
					}
					found = true
				}
			}
			if !found {
				t.Errorf("%s: nothing mounted at %q", svc, target)
			}
		}
		if !strings.HasPrefix(db.Environment["PGDATA"], "/var/lib/postgresql/data") {
			t.Errorf("PGDATA %q is outside the volume", db.Environment["PGDATA"])
		}
	})
	t.Run("health checks", func(t *testing.T) {
		for name, want := range map[string]string{"confidant": "healthcheck", "postgres": "pg_isready"} {
			hc := c.Services[name].Healthcheck
			if hc == nil || len(hc.Test) < 2 || !strings.Contains(strings.Join(hc.Test, " "), want) {
				t.Errorf("%s: health check %+v, want one running %s", name, hc, want)
			}
		}
	})
	t.Run("images pinned", func(t *testing.T) {
		for name, s := range c.Services {
			ref, digest, hasDigest := strings.Cut(s.Image, "@")
			_, tag, hasTag := strings.Cut(ref[strings.LastIndex(ref, "/")+1:], ":")
			if !hasTag || tag == "" || tag == "latest" {
				t.Errorf("%s: image %q has no version tag", name, s.Image)
			}
			if hasDigest && !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(digest) {
				t.Errorf("%s: image digest %q malformed", name, digest)
			}
		}
		if !strings.Contains(app.Image, "@sha256:") {
			t.Errorf("the measured app image must be pinned by digest: %q", app.Image)
		}
		if !strings.HasPrefix(db.Image, "pgvector/pgvector:") {
			t.Errorf("postgres image %q is not pgvector's", db.Image)
		}
	})
	t.Run("not privileged", func(t *testing.T) {
		for name, s := range c.Services {
			if s.Privileged || len(s.CapAdd) > 0 || s.NetworkMode == "host" || s.Pid == "host" {
				t.Errorf("%s runs with host privileges: %+v", name, s)
			}
			if s.User == "root" || s.User == "0" || strings.HasPrefix(s.User, "0:") {
				t.Errorf("%s runs as root", name)
			}
		}
		if !slices.Contains(app.CapDrop, "ALL") {
			t.Errorf("confidant keeps capabilities: %v", app.CapDrop)
		}
		if len(db.Ports) > 0 {
			t.Errorf("postgres is published on the host: %v", db.Ports)
		}
	})
}
