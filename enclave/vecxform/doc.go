// Package vecxform applies a per-user secret orthogonal transform to
// embeddings, so stored vectors keep their cosine similarities (and so work
// with pgvector indexes) while the raw embeddings never reach the database.
//
// The transform works for any dimension without padding. With the dimension
// written as a sum of distinct powers of two (1536 = 1024 + 512, 384 = 256 +
// 128, 1000 = 512 + 256 + 128 + 64 + 32 + 8), one round is a keyed
// permutation with keyed sign flips over the whole vector followed by a
// normalised Walsh–Hadamard transform on each power-of-two block. Three
// rounds and a final keyed permutation with sign flips make every output
// coordinate depend on every input coordinate, across block boundaries. Each
// step is orthogonal, so norms and dot products are preserved exactly up to
// floating-point rounding; the arithmetic is done in float64.
//
// This hides embeddings from whoever reads the database or a backup; it is not
// encryption in the cryptographic sense. It is linear, so someone who learns
// enough (embedding, stored vector) pairs for one user can solve for that
// user's transform, and by design it reveals which stored vectors are similar.
//
// The permutations and signs come from AES-256-CTR under a key derived with
// HKDF-SHA256 from the user's key and the dimension. That derivation is a
// contract with every stored vector; testdata/golden.json pins it.
package vecxform
