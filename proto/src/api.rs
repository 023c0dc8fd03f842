//! The JSON bodies of the REST API (protocol §5), one type per body, shared
//! by the server that writes them and the clients that read them.
//!
//! Requests refuse unknown fields (the server reads them); answers accept
//! them (a client reads answers of newer servers). Binary values are
//! base64url and are checked when a body is parsed.

use serde::{Deserialize, Serialize};

use crate::kdf::KdfParams;
use crate::sizes::{
    plaintext_size, EXPIRES_IN_MAX_SECS, EXPIRES_IN_MIN_SECS, INLINE_MAX_BYTES, MAX_DOWNLOADS,
    META_MAX_SEALED_SIZE, META_MIN_SEALED_SIZE, REQUEST_ID_SIZE, VERIFIER_SIZE,
};
use crate::values::{Fixed, Opaque, ShareId, Token};

/// The version number in `Info` and `Config` answers.
pub const PROTOCOL_VERSION: u32 = 1;

/// Where the API lives on a server.
pub const API_PREFIX: &str = "/api/v1";

/// The state of a share as `GET .../manage` reports it (§5, "Manage").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ShareState {
    /// Created, parts not yet complete.
    Uploading,
    /// Claimable.
    Ready,
    /// Every download was claimed.
    Consumed,
    /// Past its expiry.
    Expired,
    /// Revoked by its sender.
    Revoked,
    /// Taken down by the server's operator (1.1).
    Removed,
    /// Five wrong passwords; never unlocked, never deleted before expiry.
    Locked,
}

impl ShareState {
    /// Every state, in the order of §5.
    pub const ALL: [ShareState; 7] = [
        ShareState::Uploading,
        ShareState::Ready,
        ShareState::Consumed,
        ShareState::Expired,
        ShareState::Revoked,
        ShareState::Removed,
        ShareState::Locked,
    ];

    /// The JSON name, e.g. `"consumed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ShareState::Uploading => "uploading",
            ShareState::Ready => "ready",
            ShareState::Consumed => "consumed",
            ShareState::Expired => "expired",
            ShareState::Revoked => "revoked",
            ShareState::Removed => "removed",
            ShareState::Locked => "locked",
        }
    }

    /// Why a share in this state answers `410 gone`, if it does.
    pub fn gone_reason(self) -> Option<GoneReason> {
        match self {
            ShareState::Consumed => Some(GoneReason::Consumed),
            ShareState::Expired => Some(GoneReason::Expired),
            ShareState::Revoked => Some(GoneReason::Revoked),
            ShareState::Removed => Some(GoneReason::Removed),
            ShareState::Uploading | ShareState::Ready | ShareState::Locked => None,
        }
    }
}

/// Why a remembered share can no longer be claimed: the `reason` of `410 gone`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum GoneReason {
    /// Every download was claimed.
    Consumed,
    /// Past its expiry.
    Expired,
    /// Revoked by its sender.
    Revoked,
    /// Taken down by the server's operator (1.1).
    Removed,
}

impl GoneReason {
    /// The JSON name, e.g. `"revoked"`.
    pub fn as_str(self) -> &'static str {
        match self {
            GoneReason::Consumed => "consumed",
            GoneReason::Expired => "expired",
            GoneReason::Revoked => "revoked",
            GoneReason::Removed => "removed",
        }
    }
}

/// The `error` code of an error answer (§5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// `400`: a field out of range or malformed.
    Invalid,
    /// `400`: a part of the wrong length or index.
    BadPart,
    /// `401`: a missing, wrong or dead upload token, manage token or ticket;
    /// `403` (1.1): a create token the server does not know.
    BadToken,
    /// `401`: the claim token is wrong; `attempts_left` says how many remain.
    BadPassword,
    /// `401`: the server requires a create token and none was sent (1.1).
    TokenRequired,
    /// `403`: the link token is wrong.
    BadLink,
    /// `404`: no such share, or no such route.
    NotFound,
    /// `405`: the route exists, the method does not.
    MethodNotAllowed,
    /// `409`: the share is still uploading.
    NotReady,
    /// `409`: parts are missing at complete; `missing` lists them.
    Incomplete,
    /// `410`: the share is gone; `reason` says why.
    Gone,
    /// `413`: a size or body over the server's limit.
    TooLarge,
    /// `416`: the range cannot be satisfied.
    BadRange,
    /// `423`: locked after too many wrong passwords.
    Locked,
    /// `429`: over a rate limit; `Retry-After` says when to try again.
    RateLimited,
    /// `429`: the ticket has served its byte budget (1.1).
    TicketExhausted,
    /// `500`: a fault of the server; the detail is in its log only.
    Internal,
    /// `503`: too many uploads at once.
    Busy,
    /// `503`: the store cannot answer right now.
    Unavailable,
    /// `507`: the share would pass the server's storage quota (1.1).
    StorageFull,
    /// A code this version does not know (a newer server's).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The JSON name, e.g. `"bad_password"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Invalid => "invalid",
            ErrorCode::BadPart => "bad_part",
            ErrorCode::BadToken => "bad_token",
            ErrorCode::BadPassword => "bad_password",
            ErrorCode::TokenRequired => "token_required",
            ErrorCode::BadLink => "bad_link",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::NotReady => "not_ready",
            ErrorCode::Incomplete => "incomplete",
            ErrorCode::Gone => "gone",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::BadRange => "bad_range",
            ErrorCode::Locked => "locked",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TicketExhausted => "ticket_exhausted",
            ErrorCode::Internal => "internal",
            ErrorCode::Busy => "busy",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::StorageFull => "storage_full",
            ErrorCode::Unknown => "unknown",
        }
    }
}

/// Every error answer: `{"error", "message"}` plus the fields some codes carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong, for programs.
    pub error: ErrorCode,
    /// What went wrong, for people (English; never holds a secret).
    #[serde(default)]
    pub message: String,
    /// With `bad_password`: wrong passwords still allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// With `gone`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<GoneReason>,
    /// With `incomplete`: the indexes of the missing parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<u64>>,
}

impl ErrorBody {
    /// A body with only the code and the message.
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error,
            message: message.into(),
            attempts_left: None,
            reason: None,
            missing: None,
        }
    }
}

/// `GET /config` (1.1): what the server accepts, so clients offer only that.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Config {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// Largest payload, in bytes, the server accepts from this client.
    pub max_share_bytes: u64,
    /// Largest payload that may travel inline in the create request.
    pub max_inline_bytes: u64,
    /// Payload bytes per uploaded part: [`crate::PART_SIZE`].
    pub part_bytes: u64,
    /// Expiries the server accepts, in seconds.
    pub expires_in: ExpiryBounds,
    /// Most downloads a share may allow.
    pub max_downloads: u32,
    /// Whether a create needs `Authorization: Bearer {create token}`.
    pub create_token_required: bool,
}

/// The `expires_in` object of [`Config`], in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExpiryBounds {
    /// Shortest.
    pub min: u32,
    /// Longest.
    pub max: u32,
    /// What a client offers first.
    pub default: u32,
}

/// `POST /shares`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// Payload bytes.
    #[cfg_attr(feature = "openapi", schema(minimum = 16))]
    pub size: u64,
    /// Seconds until expiry.
    #[cfg_attr(feature = "openapi", schema(minimum = 60, maximum = 604800))]
    pub expires_in: u32,
    /// Claims allowed.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub max_downloads: u32,
    /// SHA-256 of the link token.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::verifier))]
    pub link_verifier: Fixed<VERIFIER_SIZE>,
    /// SHA-256 of the claim token.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::verifier))]
    pub claim_verifier: Fixed<VERIFIER_SIZE>,
    /// Sealed meta.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::sealed_meta))]
    pub meta: Opaque,
    /// Argon2id parameters when there is a password; `null` otherwise.
    pub kdf: Option<KdfParams>,
    /// The whole payload, when it is at most [`INLINE_MAX_BYTES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Opaque>,
}

impl CreateRequest {
    /// Checks every rule §5 sets for a create, whatever the server's own
    /// limits: `Err` says which field is wrong (a `400 invalid`).
    pub fn check(&self) -> Result<(), String> {
        self.check_with_expiry(EXPIRES_IN_MIN_SECS..=EXPIRES_IN_MAX_SECS)
    }

    /// [`CreateRequest::check`] with the expiries a server accepts in place of
    /// §5's `60..=604800` (an operator may narrow them; tests may shorten them).
    pub fn check_with_expiry(
        &self,
        expires_in: core::ops::RangeInclusive<u32>,
    ) -> Result<(), String> {
        if plaintext_size(self.size).is_none() {
            return Err(format!(
                "size {} is not the length of any payload (protocol §4)",
                self.size
            ));
        }
        if !expires_in.contains(&self.expires_in) {
            return Err(format!(
                "expires_in must be within {}..={}",
                expires_in.start(),
                expires_in.end()
            ));
        }
        if !(1..=MAX_DOWNLOADS).contains(&self.max_downloads) {
            return Err(format!("max_downloads must be within 1..={MAX_DOWNLOADS}"));
        }
        if !(META_MIN_SEALED_SIZE..=META_MAX_SEALED_SIZE).contains(&self.meta.0.len()) {
            return Err(format!(
                "meta must be {META_MIN_SEALED_SIZE}..={META_MAX_SEALED_SIZE} bytes"
            ));
        }
        if let Some(kdf) = &self.kdf {
            kdf.validate().map_err(|e| e.to_string())?;
        }
        if let Some(payload) = &self.payload {
            if self.size > INLINE_MAX_BYTES {
                return Err(format!(
                    "an inline payload is at most {INLINE_MAX_BYTES} bytes"
                ));
            }
            if payload.0.len() as u64 != self.size {
                return Err("payload length differs from size".into());
            }
        }
        Ok(())
    }
}

/// `201` of `POST /shares`.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Created {
    /// The new share's id.
    pub id: ShareId,
    /// Proves the right to see the status and revoke.
    pub manage_token: Token,
    /// RFC 3339.
    pub expires_at: String,
    /// Proves the right to upload parts; absent when the payload was inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_token: Option<Token>,
}

/// `200` of `GET /shares/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareInfo {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// Payload bytes.
    pub size: u64,
    /// RFC 3339.
    pub expires_at: String,
    /// Claims left.
    pub downloads_left: u32,
    /// Argon2id parameters as given at creation; `null` without a password.
    /// Unvalidated: a client calls [`KdfParams::validate`] before use.
    pub kdf: Option<KdfParams>,
}

/// `POST /shares/{id}/claim`.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// Proves the whole link.
    pub link_token: Token,
    /// Proves the password too.
    pub claim_token: Token,
    /// 16 random bytes that make a retried claim safe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::request_id))]
    pub request_id: Option<Fixed<REQUEST_ID_SIZE>>,
}

/// `200` of a claim.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Claimed {
    /// Authorizes the download.
    pub ticket: Token,
    /// RFC 3339; moves forward with every use.
    pub ticket_expires_at: String,
    /// Sealed meta.
    pub meta: Opaque,
    /// Payload bytes.
    pub size: u64,
    /// Claims left after this one.
    pub downloads_left: u32,
}

/// One successful claim in the manage answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DownloadEvent {
    /// RFC 3339 time of the claim.
    pub at: String,
}

/// `200` of `GET /shares/{id}/manage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ManageStatus {
    /// Where the share is in its life.
    pub state: ShareState,
    /// RFC 3339.
    pub expires_at: String,
    /// Claims left.
    pub downloads_left: u32,
    /// Wrong passwords so far.
    pub failed_attempts: u32,
    /// One entry per successful claim, oldest first.
    #[serde(default)]
    pub downloads: Vec<DownloadEvent>,
}

/// API paths below a server's origin, for clients.
pub mod paths {
    use super::API_PREFIX;
    use crate::values::ShareId;

    /// `/api/v1/config`.
    pub fn config() -> String {
        format!("{API_PREFIX}/config")
    }
    /// `/api/v1/shares`.
    pub fn shares() -> String {
        format!("{API_PREFIX}/shares")
    }
    /// `/api/v1/shares/{id}`: info (GET) and revoke (DELETE).
    pub fn share(id: &ShareId) -> String {
        format!("{API_PREFIX}/shares/{id}")
    }
    /// `/api/v1/shares/{id}/parts/{index}`.
    pub fn part(id: &ShareId, index: u64) -> String {
        format!("{API_PREFIX}/shares/{id}/parts/{index}")
    }
    /// `/api/v1/shares/{id}/complete`.
    pub fn complete(id: &ShareId) -> String {
        format!("{API_PREFIX}/shares/{id}/complete")
    }
    /// `/api/v1/shares/{id}/claim`.
    pub fn claim(id: &ShareId) -> String {
        format!("{API_PREFIX}/shares/{id}/claim")
    }
    /// `/api/v1/shares/{id}/blob`: download (GET) and release (DELETE).
    pub fn blob(id: &ShareId) -> String {
        format!("{API_PREFIX}/shares/{id}/blob")
    }
    /// `/api/v1/shares/{id}/manage`.
    pub fn manage(id: &ShareId) -> String {
        format!("{API_PREFIX}/shares/{id}/manage")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sizes::payload_size;

    fn create() -> CreateRequest {
        CreateRequest {
            size: payload_size(5),
            expires_in: 3600,
            max_downloads: 1,
            link_verifier: Fixed([1; 32]),
            claim_verifier: Fixed([2; 32]),
            meta: Opaque(vec![0; 40]),
            kdf: None,
            payload: None,
        }
    }

    #[test]
    fn create_request_keeps_null_kdf_and_omits_absent_payload() {
        let json = serde_json::to_string(&create()).unwrap();
        assert!(json.contains("\"kdf\":null"), "{json}");
        assert!(!json.contains("payload"), "{json}");
    }

    #[test]
    fn create_request_refuses_unknown_fields() {
        let mut v = serde_json::to_value(create()).unwrap();
        v["extra"] = 1.into();
        assert!(serde_json::from_value::<CreateRequest>(v).is_err());
    }

    #[test]
    fn create_check_refuses_what_no_client_sends() {
        assert_eq!(create().check(), Ok(()));
        let bad = [
            CreateRequest {
                size: 0,
                ..create()
            },
            CreateRequest {
                size: 15,
                ..create()
            },
            CreateRequest {
                size: 65_553,
                ..create()
            },
            CreateRequest {
                expires_in: 59,
                ..create()
            },
            CreateRequest {
                expires_in: 604_801,
                ..create()
            },
            CreateRequest {
                max_downloads: 0,
                ..create()
            },
            CreateRequest {
                max_downloads: 101,
                ..create()
            },
            CreateRequest {
                meta: Opaque(vec![0; 16]),
                ..create()
            },
            CreateRequest {
                meta: Opaque(vec![0; 4097]),
                ..create()
            },
            CreateRequest {
                kdf: Some(KdfParams {
                    t: 0,
                    ..KdfParams::DEFAULT
                }),
                ..create()
            },
            CreateRequest {
                payload: Some(Opaque(vec![0; 20])),
                ..create()
            },
        ];
        for req in bad {
            assert!(req.check().is_err(), "{req:?}");
        }
        let inline = CreateRequest {
            payload: Some(Opaque(vec![0; payload_size(5) as usize])),
            ..create()
        };
        assert_eq!(inline.check(), Ok(()));
    }

    #[test]
    fn create_check_with_expiry_uses_the_given_bounds_only_for_expiry() {
        let short = CreateRequest {
            expires_in: 1,
            ..create()
        };
        assert!(short.check().is_err());
        assert_eq!(short.check_with_expiry(1..=60), Ok(()));
        let err = create().check_with_expiry(60..=600).unwrap_err();
        assert!(err.contains("60..=600"), "{err}");
        let bad_size = CreateRequest { size: 15, ..short };
        assert!(bad_size.check_with_expiry(1..=60).is_err());
    }

    #[test]
    fn error_body_carries_only_the_fields_it_has() {
        let mut body = ErrorBody::new(ErrorCode::Gone, "the share is gone");
        body.reason = Some(GoneReason::Removed);
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"error":"gone","message":"the share is gone","reason":"removed"}"#
        );
    }

    #[test]
    fn error_codes_read_unknown_ones_and_write_their_protocol_names() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":"teapot","message":"","x":1}"#).unwrap();
        assert_eq!(body.error, ErrorCode::Unknown);
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":"bad_password","message":"m","attempts_left":2}"#)
                .unwrap();
        assert_eq!(
            (body.error, body.attempts_left),
            (ErrorCode::BadPassword, Some(2))
        );
        let json = serde_json::to_string(&ErrorBody::new(ErrorCode::TicketExhausted, "")).unwrap();
        assert_eq!(json, r#"{"error":"ticket_exhausted","message":""}"#);
    }

    #[test]
    fn states_name_their_gone_reason() {
        for state in ShareState::ALL {
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            if let Some(reason) = state.gone_reason() {
                assert_eq!(reason.as_str(), state.as_str());
            }
        }
        assert_eq!(ShareState::Locked.gone_reason(), None);
    }

    #[test]
    fn share_info_writes_null_kdf() {
        let info = ShareInfo {
            v: PROTOCOL_VERSION,
            size: 17,
            expires_at: "2026-01-01T00:00:00Z".into(),
            downloads_left: 1,
            kdf: None,
        };
        let json = serde_json::to_string(&info).unwrap();
        assert!(json.contains("\"kdf\":null"), "{json}");
    }
}
