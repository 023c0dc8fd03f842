//! OneTimeShare protocol v1 (see `protocol.md`).
#![forbid(unsafe_code)]
