//! The JSON bodies of the REST API (protocol §5) as the browser sends and
//! reads them. Server-issued tokens are kept as the base64url strings they
//! travel as; they are never logged or rendered.

use serde::{Deserialize, Serialize};

/// The API's root path.
pub const API_ROOT: &str = "/api/v1";

/// Payload bytes per uploaded part: 8 MiB.
pub const PART_BYTES: u64 = 8 * 1024 * 1024;

/// Payloads up to this size go inline in the create request.
pub const INLINE_MAX_BYTES: u64 = 1024 * 1024;

/// Argon2id cost as it travels in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfJson {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

/// `POST /shares`.
#[derive(Serialize)]
pub struct CreateRequest {
    /// Payload bytes.
    pub size: u64,
    /// Seconds until expiry.
    pub expires_in: u32,
    /// Downloads allowed.
    pub max_downloads: u32,
    /// SHA-256 of the link token, b64.
    pub link_verifier: String,
    /// SHA-256 of the claim token, b64.
    pub claim_verifier: String,
    /// Sealed meta, b64.
    pub meta: String,
    /// Argon2id cost when there is a password.
    pub kdf: Option<KdfJson>,
    /// The whole payload, b64, for small shares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// `201` of `POST /shares`.
#[derive(Deserialize)]
pub struct Created {
    /// The share's id.
    pub id: String,
    /// Bearer token of the manage link.
    pub manage_token: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// Bearer token for the parts, when the payload was not inline.
    #[serde(default)]
    pub upload_token: Option<String>,
}

/// `200` of `GET /shares/{id}`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ShareInfo {
    /// Protocol version.
    #[serde(default)]
    pub v: u32,
    /// Payload bytes.
    pub size: u64,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// Claims left.
    pub downloads_left: u32,
    /// Argon2id cost, when the share has a password.
    #[serde(default)]
    pub kdf: Option<KdfJson>,
}

/// `POST /shares/{id}/claim`.
#[derive(Serialize)]
pub struct ClaimRequest {
    /// Proves the whole link.
    pub link_token: String,
    /// Proves the password too.
    pub claim_token: String,
    /// Makes a retried claim safe.
    pub request_id: String,
}

/// `200` of a claim.
#[derive(Deserialize)]
pub struct Claimed {
    /// Bearer token for the blob.
    pub ticket: String,
    /// Sealed meta, b64.
    pub meta: String,
    /// Payload bytes.
    pub size: u64,
    /// Claims left after this one.
    pub downloads_left: u32,
}

/// One download in the manage view.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct DownloadEvent {
    /// RFC 3339 time of the claim.
    pub at: String,
}

/// `200` of `GET /shares/{id}/manage`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ManageInfo {
    /// uploading, ready, consumed, expired, revoked or locked.
    pub state: String,
    /// RFC 3339 expiry.
    pub expires_at: String,
    /// Claims left.
    pub downloads_left: u32,
    /// Wrong passwords so far.
    #[serde(default)]
    pub failed_attempts: u32,
    /// Every successful claim.
    #[serde(default)]
    pub downloads: Vec<DownloadEvent>,
}

/// Every error body: `{"error", "message"}` plus the fields some carry.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct ErrorBody {
    /// Machine-readable code, e.g. `gone`, `bad_password`.
    #[serde(default)]
    pub error: String,
    /// Human-readable text.
    #[serde(default)]
    pub message: String,
    /// With `bad_password`.
    #[serde(default)]
    pub attempts_left: Option<u32>,
    /// With `gone`: consumed, expired or revoked.
    #[serde(default)]
    pub reason: Option<String>,
    /// With `gone`, when the server tells: when it happened.
    #[serde(default)]
    pub at: Option<String>,
    /// With `incomplete`.
    #[serde(default)]
    pub missing: Option<Vec<u64>>,
}

/// How a request failed, as the pages tell it.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// No answer: offline, connection reset, server down.
    Network(String),
    /// An HTTP error status with its body.
    Status(u16, ErrorBody),
    /// An answer that is not what the protocol says.
    Malformed(String),
}

impl ApiError {
    /// True for failures worth retrying: no answer, 5xx, 429.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            ApiError::Status(code, _) => *code >= 500 || *code == 429 || *code == 408,
            ApiError::Malformed(_) => false,
        }
    }

    /// A sentence for the page.
    pub fn describe(&self) -> String {
        match self {
            ApiError::Network(_) => {
                "The server could not be reached. Check the connection and try again.".into()
            }
            ApiError::Status(413, _) => "This is larger than the server accepts.".into(),
            ApiError::Status(429, _) => {
                "Too many requests from this address. Wait a minute and try again.".into()
            }
            ApiError::Status(code, body) if !body.message.is_empty() => {
                format!("The server said: {} ({code}).", body.message)
            }
            ApiError::Status(code, _) => format!("The server answered {code}."),
            ApiError::Malformed(_) => "The server's answer was not understood.".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_omits_absent_payload_but_keeps_null_kdf() {
        let req = CreateRequest {
            size: 16,
            expires_in: 60,
            max_downloads: 1,
            link_verifier: "a".into(),
            claim_verifier: "b".into(),
            meta: "c".into(),
            kdf: None,
            payload: None,
        };
        let json = serde_json::to_string(&req).expect("serialises");
        assert!(json.contains("\"kdf\":null"));
        assert!(!json.contains("payload"));
    }

    #[test]
    fn error_body_reads_extra_fields_and_ignores_unknown_ones() {
        let body: ErrorBody = serde_json::from_str(
            r#"{"error":"bad_password","message":"wrong","attempts_left":3,"x":1}"#,
        )
        .expect("parses");
        assert_eq!(body.attempts_left, Some(3));
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":"gone","message":"","reason":"revoked"}"#)
                .expect("parses");
        assert_eq!(body.reason.as_deref(), Some("revoked"));
    }

    #[test]
    fn transient_errors_are_network_and_server_side() {
        assert!(ApiError::Network("reset".into()).is_transient());
        assert!(ApiError::Status(503, ErrorBody::default()).is_transient());
        assert!(!ApiError::Status(400, ErrorBody::default()).is_transient());
    }
}
