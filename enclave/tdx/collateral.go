package tdx

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Getter fetches a URL of Intel's Provisioning Certification Service and
// returns the response headers and body. It has the shape of
// go-tdx-guest's trust.HTTPSGetter, through which collateral is fetched.
type Getter interface {
	Get(url string) (map[string][]string, []byte, error)
}

// Intel's hosts for PCS collateral and for the root CA's revocation list.
const (
	intelPCSHost  = "api.trustedservices.intel.com"
	intelCertHost = "certificates.trustedservices.intel.com"
)

// PCSGetter fetches collateral over HTTP. With BaseURL set, requests for
// Intel's hosts go to BaseURL instead, path and query kept (a caching PCS
// proxy, or a local fake in tests).
type PCSGetter struct {
	BaseURL string        // empty: Intel's own hosts
	Client  *http.Client  // nil: a client with Timeout
	Timeout time.Duration // per request; zero: 20 seconds
}

// Get implements Getter.
func (g *PCSGetter) Get(rawURL string) (map[string][]string, []byte, error) {
	target, err := g.rewrite(rawURL)
	if err != nil {
		return nil, nil, err
	}
	timeout := g.Timeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	client := g.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("collateral request %s: %w", target, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch collateral: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("read collateral %s: %w", req.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("collateral %s: HTTP %d", req.URL.Path, resp.StatusCode)
	}
	return resp.Header, body, nil
}

// rewrite points a URL on one of Intel's hosts at BaseURL.
func (g *PCSGetter) rewrite(rawURL string) (string, error) {
	if g.BaseURL == "" {
		return rawURL, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("collateral URL: %w", err)
	}
	if host := strings.ToLower(u.Host); host == intelPCSHost || host == intelCertHost {
		return strings.TrimSuffix(g.BaseURL, "/") + u.RequestURI(), nil
	}
	return "", fmt.Errorf("collateral URL %s is not on an Intel PCS host", u.Redacted())
}
