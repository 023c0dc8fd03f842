//! The manage flow in the browser: `GET .../manage` and `DELETE` with the
//! manage token from the URL fragment.

use ots_proto::{paths, ManageStatus, ShareId, Token};

use super::ManageError;
use crate::browser::dom::fragment;
use crate::browser::http::{call, json, Body};

/// The share id of the route and the manage token of the fragment.
fn credentials(id: &str) -> Result<(ShareId, Token), ManageError> {
    let token = fragment()
        .and_then(|f| Token::from_b64(&f).ok())
        .ok_or(ManageError::BadLink)?;
    let id = ShareId::parse(id).map_err(|_| ManageError::NotFound)?;
    Ok((id, token))
}

/// `GET /shares/{id}/manage`.
pub(super) async fn status(id: &str) -> Result<ManageStatus, ManageError> {
    let (id, token) = credentials(id)?;
    let response = call("GET", &paths::manage(&id), Some(&token), Body::Empty, None).await?;
    Ok(json(&response).await?)
}

/// `DELETE /shares/{id}`, then the state it left.
pub(super) async fn revoke(id: &str) -> Result<ManageStatus, ManageError> {
    let (share, token) = credentials(id)?;
    call(
        "DELETE",
        &paths::share(&share),
        Some(&token),
        Body::Empty,
        None,
    )
    .await?;
    status(id).await
}
