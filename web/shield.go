package web

import (
	"net/url"
	"strings"

	"confidant/enclave"
	"confidant/enclave/evidence"
	"confidant/inference"
	"confidant/views"
)

// shieldFor is the header shield: green only when the app runs on a real
// TEE and every backend verdict is green; red when a backend failed
// verification (the title says which and why); amber otherwise.
func shieldFor(mode string, verdicts []inference.BackendVerdict) views.Shield {
	states := []evidence.State{}
	for _, v := range verdicts {
		states = append(states, v.Verdict.State)
	}
	if len(verdicts) == 0 {
		states = append(states, evidence.Amber) // nothing verified yet
	}
	simulated := mode != string(enclave.KindDstack)
	if simulated {
		states = append(states, evidence.Amber)
	}
	switch evidence.Worst(states...) {
	case evidence.Red:
		var why []string
		for _, v := range verdicts {
			if v.Verdict.State == evidence.Red {
				why = append(why, hostOf(v.Backend)+": "+v.Reason())
			}
		}
		return views.Shield{State: "red", Label: "Not verified",
			Title: "An AI backend failed verification (" + strings.Join(why, "; ") + "). Nothing is sent to it. Click for details."}
	case evidence.Green:
		return views.Shield{State: "green", Label: "Verified", Title: "Real TEE, and every backend verified. Click for the evidence."}
	}
	switch {
	case simulated:
		return views.Shield{State: "amber", Label: "Simulated", Title: "Development mode: no hardware protection. Click for details."}
	case len(verdicts) == 0:
		return views.Shield{State: "amber", Label: "Checking", Title: "The AI backends have not been verified yet. Click for details."}
	}
	var why []string
	for _, v := range verdicts {
		if v.Verdict.State != evidence.Green {
			why = append(why, hostOf(v.Backend)+": "+v.Reason())
		}
	}
	return views.Shield{State: "amber", Label: "Unverified", Title: "Some checks could not run (" + strings.Join(why, "; ") + "). Click for details."}
}

// hostOf names a backend by its host.
func hostOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return base
}
