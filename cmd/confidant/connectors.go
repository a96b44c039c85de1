package main

import "confidant/connectors"

// connectorSources is the one place each kind of mail or calendar account
// is given the package that syncs it.
func connectorSources() map[connectors.Kind]connectors.SourceFactory {
	return map[connectors.Kind]connectors.SourceFactory{}
}
