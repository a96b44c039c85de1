package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"confidant/connectors"
	"confidant/enclave"
	"confidant/enclave/evidence"
	"confidant/inference"
	"confidant/views"
)

// EnclaveInfo describes the app as its TEE measured it.
type EnclaveInfo interface {
	Info(ctx context.Context) (enclave.Info, error)
}

// BackendVerdicts gives the latest verdict on each inference backend.
type BackendVerdicts interface {
	Verdicts() []inference.BackendVerdict
}

// Home serves the public verification page.
type Home struct {
	Pages       *Pages
	EnclaveMode string
	Version     string
	Commit      string
	Origin      string
	Enclave     EnclaveInfo     // nil: the page says the app cannot describe itself
	Backends    BackendVerdicts // nil: no backend verified
	Now         func() time.Time
}

// Attestation explains what this instance can prove: the app's identity
// and measurements, each backend's verdict, and how to check it all.
func (h *Home) Attestation(c echo.Context) error {
	ctx := c.Request().Context()
	var nonce [32]byte
	_, _ = rand.Read(nonce[:])
	d := views.AttestationData{EnclaveKind: h.EnclaveMode, Simulated: h.EnclaveMode != string(enclave.KindDstack),
		Version: h.Version, Commit: h.Commit, Origin: h.Origin, Now: h.now(),
		ReportURL: "/v1/attestation/report?" + url.Values{"nonce": {hex.EncodeToString(nonce[:])}}.Encode()}
	if h.Enclave == nil {
		d.AppError = "The enclave did not describe this app."
	} else if info, err := h.Enclave.Info(ctx); err != nil {
		d.AppError = "The enclave could not describe this app right now; its measurements are not shown."
	} else {
		d.App = appFacts(info)
	}
	for _, k := range connectors.Policy() {
		caps := make([]string, len(k.Capabilities))
		for i, c := range k.Capabilities {
			caps[i] = string(c)
		}
		d.ConnectorPolicy = append(d.ConnectorPolicy, views.Fact{Label: string(k.Kind) + " (" + strings.Join(caps, ", ") + ")", Value: k.Summary})
	}
	if h.Backends != nil {
		for i, v := range h.Backends.Verdicts() {
			d.Backends = append(d.Backends, backendView(i, v))
		}
	}
	return render(c, http.StatusOK, views.AttestationPage(h.Pages.Page(c, "Verification", ""), d))
}

func (h *Home) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

// appFacts lists the app's identity and measurements that are present.
func appFacts(info enclave.Info) []views.Fact {
	var out []views.Fact
	for _, f := range []views.Fact{
		{Label: "App id", Value: info.AppID},
		{Label: "Instance id", Value: info.InstanceID},
		{Label: "Compose hash", Value: info.ComposeHash},
		{Label: "OS image hash", Value: info.OSImageHash},
		{Label: "MRTD", Value: info.MRTD},
		{Label: "RTMR0", Value: info.RTMR0},
		{Label: "RTMR1", Value: info.RTMR1},
		{Label: "RTMR2", Value: info.RTMR2},
		{Label: "RTMR3", Value: info.RTMR3},
	} {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

// backendView words one backend's verdict.
func backendView(i int, v inference.BackendVerdict) views.BackendView {
	b := views.BackendView{Name: backendName(i, v.Backend), State: string(v.Verdict.State), SigningAddress: v.Verdict.SigningAddress,
		SigningAlgo: v.Verdict.SigningAlgo, VerifiedAt: v.Verdict.VerifiedAt, ExpiresAt: v.ExpiresAt,
		Checks: checkViews(v.Verdict.Checks), Facts: factViews(v.Verdict.Facts)}
	switch v.Verdict.State {
	case evidence.Green:
		b.Summary = "Every check passed on real hardware. It gets your messages."
	case evidence.Red:
		b.Summary = "It failed verification, so it gets nothing: " + v.Reason() + "."
	default:
		b.Summary = "Nothing failed, but not everything could be proven: " + v.Reason() + "."
	}
	return b
}

// backendName names a backend by its position and host.
func backendName(i int, base string) string {
	name := "Backend " + strconv.Itoa(i+1)
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		name += " · " + u.Host
	}
	return name
}

func checkViews(checks []evidence.Check) []views.CheckView {
	out := make([]views.CheckView, len(checks))
	for i, c := range checks {
		out[i] = views.CheckView{Name: c.Name, Status: string(c.Status), Detail: c.Detail}
	}
	return out
}

// factViews lists facts in a stable order.
func factViews(facts map[string]string) []views.Fact {
	out := make([]views.Fact, 0, len(facts))
	for k, v := range facts {
		out = append(out, views.Fact{Label: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}
