// Package enclave is Confidant's boundary to the trusted execution
// environment: hardware quotes, key derivation and the measurements of the
// running app, behind one Provider interface.
//
// Two providers exist. Dstack talks to the dstack guest agent inside an Intel
// TDX confidential VM; its keys come from the dstack KMS and are bound to the
// app id. Simulated is for development: it keeps a root key in a file, says
// loudly that nothing is hardware-protected, and produces quotes that are
// marked as simulated and can never parse as real TDX quotes. Select picks
// one from the configuration.
//
// Subpackages build on the Provider: keys (key hierarchy and data-key
// wrapping), seal (sealed column values), blindindex (keyword tokens) and
// vecxform (embedding transform).
package enclave
