package web

import (
	"context"

	"confidant/connectors"
	"confidant/enclave"
)

// newConnectors builds and starts the connector service, or returns nil
// when the app runs without a pool. Private addresses are reachable only
// with the simulated enclave, where a developer's own servers run on
// localhost.
func newConnectors(d Deps) (*connectors.Service, error) {
	if d.Pool == nil {
		return nil, nil
	}
	opt := connectors.Options{Factories: withOAuthFactories(d.Connectors, d.Config), Now: d.Now, Log: d.Log, EmbedModel: d.Config.EmbedModel,
		AllowPrivate: d.EnclaveMode == string(enclave.KindSimulated) && !d.ConnectorsStrict}
	if d.Inference != nil {
		opt.Embedder = d.Inference
	}
	svc, err := connectors.NewService(d.Pool, d.Store, opt)
	if err != nil {
		return nil, err
	}
	if err := svc.Start(context.Background()); err != nil {
		return nil, err
	}
	return svc, nil
}
