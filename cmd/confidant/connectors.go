package main

import (
	"confidant/connectors"
	"confidant/connectors/caldav"
	"confidant/connectors/imap"
)

// connectorSources is the one place each kind of mail or calendar account
// is given the package that syncs it.
func connectorSources() map[connectors.Kind]connectors.SourceFactory {
	return map[connectors.Kind]connectors.SourceFactory{
		connectors.KindIMAP:   imap.New,
		connectors.KindCalDAV: caldav.New,
	}
}
