// Package deploy checks the shipping files at the repository root —
// compose.yaml (the dstack deployment) and the Dockerfile — for what they
// must wire; it has tests only.
package deploy
