//! base64url without padding (RFC 4648 §5), strict: the encoding of every
//! binary value in links and the JSON API. It lives in `ots-proto`; this is
//! the same module, re-exported where link parsing uses it.

pub use ots_proto::b64::*;
