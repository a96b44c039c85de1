package evidence

import (
	"strings"
	"testing"
)

func TestImageRefs(t *testing.T) {
	compose := `{"docker_compose_file":"services:\n  a:\n    image: r/a@sha256:` + strings.Repeat("1", 64) + `\n  b:\n    image: 'r/b:latest' # not pinned\n  c:\n    image: r/a@sha256:` + strings.Repeat("1", 64) + `\n"}`
	refs := imageRefs(compose)
	if len(refs) != 2 || refs[0] != "r/a@sha256:"+strings.Repeat("1", 64) || refs[1] != "r/b:latest" {
		t.Fatalf("imageRefs = %q", refs)
	}
	if d, ok := imageDigest(refs[0]); !ok || d != "sha256:"+strings.Repeat("1", 64) {
		t.Errorf("imageDigest(%s) = %s, %v", refs[0], d, ok)
	}
	if _, ok := imageDigest(refs[1]); ok {
		t.Errorf("imageDigest(%s) found a digest", refs[1])
	}
}
