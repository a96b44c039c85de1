// Package importer reads conversation exports from other chat apps
// (ChatGPT, Claude, Open WebUI) into one neutral model of conversations
// and message trees, detecting the format from the bytes and refusing
// malformed or hostile files with errors a person can act on.
package importer
