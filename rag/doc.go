// Package rag turns uploaded documents into searchable passages and finds
// the passages that answer a question: text extraction (PDF, DOCX, HTML,
// Markdown, plain text, CSV), chunking along headings, embedding through
// the backend in batches, background ingestion on River, and hybrid
// retrieval (vectors plus blind-index keywords, fused by reciprocal rank).
package rag
