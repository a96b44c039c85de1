package exporter

import (
	"encoding/json"
	"fmt"
)

// connectorSettingKeys are the connector settings that are not secret;
// every other key (password, tokens, anything unknown) counts as a
// credential.
var connectorSettingKeys = map[string]bool{"kind": true, "host": true, "port": true, "security": true, "url": true, "username": true, "account": true}

// SplitConnectorSettings separates a connector's settings JSON into what
// is safe to export by default and the credentials (passwords, tokens,
// and any key not known to be harmless). Either is nil when empty.
func SplitConnectorSettings(raw json.RawMessage) (settings, credentials json.RawMessage, err error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, nil, fmt.Errorf("connector settings: %w", err)
	}
	safe, secret := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	for k, v := range all {
		if connectorSettingKeys[k] {
			safe[k] = v
		} else {
			secret[k] = v
		}
	}
	if len(safe) > 0 {
		if settings, err = json.Marshal(safe); err != nil {
			return nil, nil, err
		}
	}
	if len(secret) > 0 {
		if credentials, err = json.Marshal(secret); err != nil {
			return nil, nil, err
		}
	}
	return settings, credentials, nil
}
