//! The audit log: every sign-in, failed sign-in, lockout, sign-out and
//! takedown is one structured log line (target `ots::audit`: time, action,
//! client address, short id) and an entry of the console's recent actions;
//! creates with a create token and refused tokens are log lines with the
//! token's name (never the token).

use axum::http::request::Parts;

use crate::{
    clock::UnixSecs,
    limits::ClientAddr,
    state::AppState,
    store::operator::{AuditAction, AuditEntry},
};

/// The client address of a request, as the rate limits see it.
pub(crate) fn client_of(state: &AppState, parts: &Parts) -> String {
    parts
        .extensions
        .get::<ClientAddr>()
        .map(|a| state.clients.client_ip(a, &parts.headers).to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Logs an operator action and keeps it for the console's recent actions.
pub(crate) async fn record(
    state: &AppState,
    at: UnixSecs,
    action: AuditAction,
    client: &str,
    share: Option<&str>,
) {
    tracing::info!(
        target: "ots::audit",
        action = action.as_str(),
        client,
        share = share.unwrap_or(""),
        "audit"
    );
    let entry = AuditEntry {
        at,
        action,
        client: client.to_owned(),
        share: share.map(str::to_owned),
    };
    if let Err(e) = state.store.add_audit(entry).await {
        state.metrics.store_error();
        tracing::warn!(error = %e, "could not keep an audit entry for the console");
    }
}

/// A create with a create token: its name and the new share's short id.
pub(crate) fn token_create(token: &str, share: &str) {
    tracing::info!(target: "ots::audit", action = "create", token, share, "audit");
}

/// A create with a token the server does not know.
pub(crate) fn create_token_refused(state: &AppState, parts: &Parts) {
    let client = client_of(state, parts);
    tracing::info!(
        target: "ots::audit",
        action = "create_token_refused",
        client,
        "audit"
    );
}
