//! Encryption at rest for any mpstore backend: an AES-SIV decorator with per-namespace keys.
