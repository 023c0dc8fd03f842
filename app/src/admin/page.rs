//! The console page (`/admin`): the sign-in form, a refusal, or the
//! dashboard. Every action is a plain form post, so the page works without
//! JavaScript; with it, a pasted link loses its key before it is sent.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    bars, current, uptime_text, without_fragment, ActionRow, AdminView, DashboardView, Health,
    LiveShares, LoginView, RefusedView, Series, ShareRow, CHART_SIZE,
};
use crate::format::human_bytes;

/// The console (`/admin`).
#[component]
pub fn AdminPage() -> impl IntoView {
    match current() {
        None => view! { <p class="notice">"Page not found."</p> }.into_any(),
        Some(AdminView::Login(login)) => view! { <Login login/> }.into_any(),
        Some(AdminView::Refused(refused)) => view! { <Refused refused/> }.into_any(),
        Some(AdminView::Dashboard(dash)) => view! { <Dashboard dash=*dash/> }.into_any(),
    }
}

#[component]
fn Login(login: LoginView) -> impl IntoView {
    view! {
        <Title text="Console sign-in · OneTimeShare"/>
        <section class="card admin-login" id="admin-login">
            <h1>"Operator console"</h1>
            {login.error.map(|e| view! { <p class="error" role="alert" id="login-error">{e}</p> })}
            {(!login.locked_out)
                .then(|| {
                    view! {
                        <form method="post" action="/admin/login" class="admin-form">
                            <input type="hidden" name="csrf" value=login.csrf/>
                            <label for="admin-password">"Password"</label>
                            <input
                                id="admin-password"
                                name="password"
                                type="password"
                                autocomplete="current-password"
                                required
                            />
                            <button type="submit" class="primary" id="admin-sign-in">"Sign in"</button>
                        </form>
                    }
                })}
        </section>
    }
}

#[component]
fn Refused(refused: RefusedView) -> impl IntoView {
    view! {
        <Title text="Refused · OneTimeShare"/>
        <section class="card state" id="admin-refused" data-state="refused" role="alert">
            <h1>{refused.title}</h1>
            <p class="lead">{refused.detail}</p>
            <p><a href="/admin" rel="external">"Back to the console"</a></p>
        </section>
    }
}

// Each part of the dashboard is its own type-erased view: the whole page as
// one view type is too deep for the compiler.
#[component]
fn Dashboard(dash: DashboardView) -> impl IntoView {
    let DashboardView {
        csrf,
        notice,
        version,
        uptime_secs,
        as_of,
        store,
        blobs,
        live,
        stored_bytes,
        free_bytes,
        activity,
        shares,
        actions,
    } = dash;
    view! {
        <Title text="Console · OneTimeShare"/>
        <section class="card admin" id="admin-dashboard">
            <DashboardHead csrf=csrf.clone() version uptime_secs as_of notice/>
            <h2>"Health"</h2>
            <dl class="facts">
                <HealthRow id="health-store" title="Records" health=store/>
                <HealthRow id="health-blobs" title="Ciphertext" health=blobs/>
            </dl>
            <h2>"Live shares"</h2>
            <LiveFacts live stored_bytes free_bytes/>
            <h2>"Activity"</h2>
            <Activity activity/>
            <h2>"Take down a share"</h2>
            <TakedownForm csrf/>
            <h2>"Newest shares"</h2>
            <ShareTable shares/>
            <h2>"Recent actions"</h2>
            <ActionList actions/>
        </section>
    }
}

#[component]
fn DashboardHead(
    csrf: String,
    version: String,
    uptime_secs: u64,
    as_of: String,
    notice: Option<String>,
) -> impl IntoView {
    view! {
        <div class="admin-head">
            <h1>"Operator console"</h1>
            <form method="post" action="/admin/logout">
                <input type="hidden" name="csrf" value=csrf/>
                <button type="submit" id="admin-sign-out">"Sign out"</button>
            </form>
        </div>
        <p class="lead">
            "Version " {version} " · up " {uptime_text(uptime_secs)} " · numbers as of " {as_of}
        </p>
        {notice.map(|n| view! { <p class="notice admin-notice" id="admin-notice" role="status">{n}</p> })}
    }
    .into_any()
}

#[component]
fn LiveFacts(live: LiveShares, stored_bytes: u64, free_bytes: Option<u64>) -> impl IntoView {
    view! {
        <dl class="facts admin-live">
            <dt>"Uploading"</dt>
            <dd id="live-uploading">{live.uploading.to_string()}</dd>
            <dt>"Ready"</dt>
            <dd id="live-ready">{live.ready.to_string()}</dd>
            <dt>"Being downloaded"</dt>
            <dd id="live-downloading">{live.downloading.to_string()}</dd>
            <dt>"Locked"</dt>
            <dd id="live-locked">{live.locked.to_string()}</dd>
            <dt>"Ciphertext stored"</dt>
            <dd id="stored-bytes" data-bytes=stored_bytes.to_string()>{human_bytes(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, stored_bytes)}</dd>
            <dt>"Free space"</dt>
            <dd id="free-bytes">{free_bytes.map_or_else(|| "unknown".to_string(), |b| human_bytes(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, b))}</dd>
        </dl>
    }
    .into_any()
}

#[component]
fn Activity(activity: Vec<Series>) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="admin-table admin-activity" id="activity">
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Last hour"</th>
                        <th scope="col">"5-minute steps"</th>
                        <th scope="col">"Last 24 hours"</th>
                        <th scope="col">"Hourly"</th>
                    </tr>
                </thead>
                <tbody>
                    {activity.into_iter().map(|s| view! { <ActivityRow series=s/> }.into_any()).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn TakedownForm(csrf: String) -> impl IntoView {
    // A key pasted with a link is gone from the field as soon as it arrives.
    let field = NodeRef::<leptos::html::Input>::new();
    let drop_key = move |_| {
        if let Some(input) = field.get() {
            let pasted = input.value();
            let kept = without_fragment(&pasted);
            if kept != pasted {
                input.set_value(&kept);
            }
        }
    };
    view! {
        <form method="post" action="/admin/takedown" class="admin-form" id="takedown">
            <input type="hidden" name="csrf" value=csrf/>
            <label for="takedown-share">"Share link or id"</label>
            <input
                id="takedown-share"
                name="share"
                type="text"
                autocomplete="off"
                spellcheck="false"
                required
                node_ref=field
                on:input=drop_key
            />
            <p class="limit">
                "The part of a link after # (the key) is never sent: the server could not read the share anyway."
            </p>
            <button type="submit" class="danger" id="takedown-submit">"Take down"</button>
        </form>
    }
    .into_any()
}

#[component]
fn HealthRow(id: &'static str, title: &'static str, health: Health) -> impl IntoView {
    let state = if health.ok { "ok" } else { "failing" };
    view! {
        <dt>{title}</dt>
        <dd id=id data-state=state>
            <span class=format!("health {state}")>{if health.ok { "OK" } else { "Failing" }}</span>
            " · " {health.label} " · " {health.detail}
        </dd>
    }
    .into_any()
}

#[component]
fn ActivityRow(series: Series) -> impl IntoView {
    let Series {
        key,
        label,
        hour,
        day,
        hour_bars,
        day_bars,
    } = series;
    view! {
        <tr id=format!("activity-{key}")>
            <th scope="row">{label.clone()}</th>
            <td class="num" id=format!("count-{key}-hour")>{hour.to_string()}</td>
            <td><Chart values=hour_bars what=format!("{label}, last hour in 5-minute steps")/></td>
            <td class="num" id=format!("count-{key}-day")>{day.to_string()}</td>
            <td><Chart values=day_bars what=format!("{label}, last 24 hours by hour")/></td>
        </tr>
    }
    .into_any()
}

/// A small bar chart, drawn as SVG on the server; the numbers are in its label.
#[component]
fn Chart(values: Vec<u64>, what: String) -> impl IntoView {
    let (w, h) = CHART_SIZE;
    let listed = values
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <svg
            class="chart"
            viewBox=format!("0 0 {w} {h}")
            width=w.to_string()
            height=h.to_string()
            role="img"
            aria-label=format!("{what}: {listed}")
        >
            {bars(&values)
                .into_iter()
                .map(|b| {
                    view! {
                        <rect
                            x=format!("{:.2}", b.x)
                            y=format!("{:.2}", b.y)
                            width=format!("{:.2}", b.width)
                            height=format!("{:.2}", b.height)
                        >
                            <title>{b.value.to_string()}</title>
                        </rect>
                    }
                })
                .collect_view()}
        </svg>
    }
    .into_any()
}

#[component]
fn ShareTable(shares: Vec<ShareRow>) -> impl IntoView {
    if shares.is_empty() {
        return view! { <p class="notice" id="shares">"No shares yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="admin-table" id="shares">
                <thead>
                    <tr>
                        <th scope="col">"Id"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Size"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Downloads left"</th>
                        <th scope="col">"Wrong passwords"</th>
                    </tr>
                </thead>
                <tbody>
                    {shares
                        .into_iter()
                        .map(|s| {
                            let (short_id, state) = (s.short_id.clone(), s.state.clone());
                            view! {
                                <tr data-short-id=short_id>
                                    <td><code>{s.short_id}</code></td>
                                    <td data-state=state>{s.state}</td>
                                    <td class="num">{human_bytes(crate::i18n::use_i18n().get_locale_untracked() /* TODO(i18n): reactive */, s.size)}</td>
                                    <td>{s.created}</td>
                                    <td>{s.expires}</td>
                                    <td class="num">{s.downloads_left.to_string()}</td>
                                    <td class="num">{s.failed_attempts.to_string()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ActionList(actions: Vec<ActionRow>) -> impl IntoView {
    if actions.is_empty() {
        return view! { <p class="notice" id="actions">"No actions yet."</p> }.into_any();
    }
    view! {
        <ol class="admin-actions" id="actions">
            {actions
                .into_iter()
                .map(|a| {
                    let share = (!a.share.is_empty()).then(|| view! { " · " <code>{a.share}</code> });
                    let action = a.action.clone();
                    view! {
                        <li data-action=action>
                            {a.at} " · " <strong>{a.action}</strong> " · " {a.client} {share}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}
