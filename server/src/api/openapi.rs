//! The API's OpenAPI 3.1 description, generated from the handlers'
//! annotations and ots-proto's types (so it cannot drift from them), served
//! at `GET /api/v1/openapi.json`.

use axum::{http::header, response::IntoResponse};
use ots_proto::{
    ClaimRequest, Claimed, Config, CreateRequest, Created, DownloadEvent, ErrorBody, ErrorCode,
    ExpiryBounds, GoneReason, KdfParams, ManageStatus, ShareInfo, ShareState,
};
use utoipa::{
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
    Modify, OpenApi,
};

use super::{blob, config, manage, parts, shares};

/// The three bearer tokens the server issues.
struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for name in ["upload_token", "ticket", "manage_token"] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// The description of every route under `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "OneTimeShare",
        description = "Zero-knowledge one-time sharing: the REST API of protocol §5. \
            The server stores ciphertext and hashes of tokens only.",
        version = "1.1"
    ),
    paths(
        config::config,
        shares::create,
        shares::info,
        shares::claim,
        parts::upload,
        parts::complete,
        blob::download,
        blob::release,
        manage::status,
        manage::revoke,
        document,
    ),
    components(schemas(
        ErrorBody, ErrorCode, GoneReason, ShareState, KdfParams, CreateRequest, Created,
        ShareInfo, ClaimRequest, Claimed, ManageStatus, DownloadEvent, Config, ExpiryBounds
    )),
    modifiers(&BearerTokens)
)]
pub(crate) struct ApiDoc;

/// This description.
#[utoipa::path(
    get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "the OpenAPI 3.1 description of this API", content_type = "application/json"))
)]
pub(super) async fn document() -> impl IntoResponse {
    let json = ApiDoc::openapi().to_json().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        json,
    )
}
