//! The ciphertext for ticket holders: download (with ranges) and release.

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use futures_util::stream;
use ots_proto::{part_len, ErrorBody, ShareId, PART_SIZE};
use tracing::instrument;

use super::{
    error::{ApiError, Stored},
    extract::{Bearer, ClientKey, SharePath, Ticket},
    parts::PartBytes,
};
use crate::{
    downloads::{ByteStream, Metered, TicketUse},
    state::AppState,
    store::WHOLE_SHARE,
};

/// Parses a single `bytes=` range against `size` (RFC 9110 §14): `Ok(None)`
/// when there is none or it is malformed (the whole body is the answer),
/// `Err` when it is well formed but cannot be satisfied. Returns `[start, end)`.
fn parse_range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    let unsatisfiable = ApiError::BadRange { size };
    if a.is_empty() {
        // A suffix: the last `n` bytes.
        if !digits(b) {
            return Ok(None);
        }
        let n: u64 = b.parse().unwrap_or(u64::MAX);
        if n == 0 || size == 0 {
            return Err(unsatisfiable);
        }
        return Ok(Some((size.saturating_sub(n), size)));
    }
    if !digits(a) || !(b.is_empty() || digits(b)) {
        return Ok(None);
    }
    let start: u64 = a.parse().unwrap_or(u64::MAX);
    let end = if b.is_empty() {
        size
    } else {
        let last: u64 = b.parse().unwrap_or(u64::MAX);
        if last < start {
            return Ok(None);
        }
        last.saturating_add(1).min(size)
    };
    if start >= size {
        return Err(unsatisfiable);
    }
    Ok(Some((start, end)))
}

/// Streams the ciphertext to a ticket holder: at most as many downloads per
/// client address as allowed, each range taken from the ticket's byte budget,
/// and the ticket kept alive while the bytes flow.
#[utoipa::path(
    get, path = "/api/v1/shares/{id}/blob", tag = "downloads",
    params(
        ("id" = ShareId, Path, description = "the share id"),
        ("Range" = Option<String>, Header, description = "`bytes=a-b`, `bytes=a-` or `bytes=-n`; a malformed one is ignored"),
    ),
    security(("ticket" = [])),
    responses(
        (status = 200, description = "the whole ciphertext", content_type = "application/octet-stream", body = inline(PartBytes)),
        (status = 206, description = "the range asked for", content_type = "application/octet-stream", body = inline(PartBytes)),
        (status = 400, description = "a path segment that does not decode (`invalid`)", body = ErrorBody),
        (status = 401, description = "missing, wrong or dead ticket (`bad_token`)", body = ErrorBody),
        (status = 404, description = "no such share (`not_found`)", body = ErrorBody),
        (status = 410, description = "expired, revoked or removed (`gone`, `reason`)", body = ErrorBody),
        (status = 416, description = "the range cannot be satisfied (`bad_range`)", body = ErrorBody),
        (status = 429, description = "the ticket served its byte budget (`ticket_exhausted`) or too many downloads from this address (`rate_limited`)", body = ErrorBody),
        (status = 503, description = "storage unavailable (`unavailable`)", body = ErrorBody),
    )
)]
#[instrument(skip_all)]
pub(super) async fn download(
    State(state): State<AppState>,
    SharePath(id): SharePath,
    ticket: Bearer<Ticket>,
    ClientKey(client): ClientKey,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let slot = match client {
        Some(key) => Some(
            state
                .downloads_per_address
                .take(key)
                .ok_or(ApiError::RateLimited { retry_after: 1 })?,
        ),
        None => None,
    };
    // A range is read against the share's size before the ticket's budget is
    // taken; the ticket's own checks still come first in the answer. Without
    // one the store takes the share's size itself: no read before the update.
    let range = if headers.contains_key(header::RANGE) {
        let size = state.store.get(id.clone()).await?.map(|rec| rec.size);
        size.map_or(Ok(None), |size| parse_range(&headers, size))
    } else {
        Ok(None)
    };
    let asked = match &range {
        Ok(Some((start, end))) => end - start,
        Ok(None) => WHOLE_SHARE,
        Err(_) => 0,
    };
    let ttl_secs = i64::from(state.config.ticket_ttl_secs);
    let opened_at = state.clock.now();
    let outcome = state
        .store
        .open_blob(id.clone(), ticket.hash(), opened_at, ttl_secs, asked)
        .await?;
    let stored = Result::from(outcome)?;
    let size = match &stored {
        Stored::Inline(bytes) => bytes.len() as u64,
        Stored::Parts { size } => *size,
    };
    let range = range?;
    let want = if asked == WHOLE_SHARE { size } else { asked };
    let (start, end) = range.unwrap_or((0, size));
    let ticket_use = TicketUse {
        store: state.store.clone(),
        clock: state.clock.clone(),
        id: id.clone(),
        ticket: ticket.hash(),
        ttl_secs,
        opened_at,
    };
    let bytes: ByteStream = match stored {
        Stored::Inline(bytes) => {
            let part = Bytes::from(bytes).slice(start as usize..end as usize);
            Box::pin(stream::once(std::future::ready(Ok(part))))
        }
        Stored::Parts { .. } => {
            // A part that lost bytes in storage cannot give the first byte
            // asked for: answer 416 now (a client reads it as damaged
            // ciphertext) rather than a body that breaks off before it.
            let index = start / PART_SIZE;
            let whole = match part_len(size, index) {
                Some(len) => state.blobs.part_is_whole(&id, index, len).await,
                None => Ok(start == end),
            };
            let opened = match whole {
                Ok(true) => state
                    .blobs
                    .read_range(&id, start, end)
                    .await
                    .map_err(ApiError::from),
                Ok(false) => Err(ApiError::BadRange { size }),
                Err(e) => Err(ApiError::from(e)),
            };
            match opened {
                Ok(bytes) => bytes,
                Err(e) => {
                    // Nothing was sent: the ticket gets its whole budget back (the refund of a
                    // stream dropped unread), and the share is as it was.
                    drop(Metered::new(
                        Box::pin(stream::empty()),
                        ticket_use,
                        want,
                        slot,
                    ));
                    return Err(e);
                }
            }
        }
    };
    let body = Body::from_stream(Metered::new(bytes, ticket_use, want, slot));
    tracing::debug!(share = %id.short(), start, end, "download");
    let mut res = (
        if range.is_some() {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        },
        body,
    )
        .into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    if range.is_some() {
        let v = format!("bytes {}-{}/{}", start, end - 1, size);
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&v).map_err(|e| ApiError::Internal(e.to_string()))?,
        );
    }
    Ok(res)
}

/// The client has the whole plaintext: the ticket dies, and a consumed share's ciphertext goes now.
#[utoipa::path(
    delete, path = "/api/v1/shares/{id}/blob", tag = "downloads",
    params(("id" = ShareId, Path, description = "the share id")),
    security(("ticket" = [])),
    responses(
        (status = 204, description = "the ticket is dead; a consumed share's ciphertext is deleted"),
        (status = 400, description = "a path segment that does not decode (`invalid`)", body = ErrorBody),
        (status = 401, description = "missing, wrong or dead ticket (`bad_token`)", body = ErrorBody),
        (status = 404, description = "no such share (`not_found`)", body = ErrorBody),
        (status = 410, description = "expired, revoked or removed (`gone`, `reason`)", body = ErrorBody),
        (status = 503, description = "storage unavailable (`unavailable`)", body = ErrorBody),
    )
)]
#[instrument(skip_all)]
pub(super) async fn release(
    State(state): State<AppState>,
    SharePath(id): SharePath,
    ticket: Bearer<Ticket>,
) -> Result<StatusCode, ApiError> {
    let outcome = state
        .store
        .release(id.clone(), ticket.hash(), state.clock.now())
        .await?;
    let delete_files = Result::from(outcome)?;
    if delete_files {
        state.blobs.delete_share_now(&*state.store, &id).await;
    }
    tracing::info!(share = %id.short(), delete_files, "released");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(v: &str, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(v).expect("header"));
        parse_range(&h, size)
    }

    #[test]
    fn ranges_are_clamped_to_the_payload() {
        assert_eq!(range("bytes=0-9", 100).ok().flatten(), Some((0, 10)));
        assert_eq!(range("bytes=90-", 100).ok().flatten(), Some((90, 100)));
        assert_eq!(range("bytes=90-1000", 100).ok().flatten(), Some((90, 100)));
        assert_eq!(range("bytes=-10", 100).ok().flatten(), Some((90, 100)));
        assert_eq!(range("bytes=-1000", 100).ok().flatten(), Some((0, 100)));
    }

    #[test]
    fn malformed_ranges_serve_everything_and_unsatisfiable_ones_fail() {
        for ignored in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=5-1",
            "bytes=x-1",
            "bytes=1",
            "bytes=",
            "bytes=1-x",
        ] {
            assert!(matches!(range(ignored, 100), Ok(None)), "{ignored}");
        }
        for bad in ["bytes=100-", "bytes=100-200", "bytes=-0"] {
            assert!(
                matches!(range(bad, 100), Err(ApiError::BadRange { size: 100 })),
                "{bad}"
            );
        }
    }
}
