//! The console page (`/admin`): the sign-in form, a refusal, or the
//! dashboard. Every action is a plain form post, so the page works without
//! JavaScript; with it, a pasted link loses its key before it is sent.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    answer_text, bars, current, login_error_text, place_text, refusal_detail, refusal_title,
    series_label, share_state_text, takedown_text, uptime_text, without_fragment, ActionRow,
    AdminView, DashboardView, Health, LiveShares, LoginView, Refusal, Series, ShareRow,
    TakedownOutcome, CHART_SIZE,
};
use crate::format::human_bytes;
use crate::i18n::{td_string, use_i18n};
use crate::widgets::{tab_title, tr};

/// The console (`/admin`).
#[component]
pub fn AdminPage() -> impl IntoView {
    match current() {
        None => view! { <p class="notice">{tr(|l| td_string!(l, app.not_found).to_string())}</p> }
            .into_any(),
        Some(AdminView::Login(login)) => view! { <Login login/> }.into_any(),
        Some(AdminView::Refused(refused)) => view! { <Refused refused/> }.into_any(),
        Some(AdminView::Dashboard(dash)) => view! { <Dashboard dash=*dash/> }.into_any(),
    }
}

#[component]
fn Login(login: LoginView) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=tab_title(|l| td_string!(l, admin.login_tab).to_string())/>
        <section class="card admin-login" id="admin-login">
            <h1>{tr(|l| td_string!(l, admin.console).to_string())}</h1>
            {login
                .error
                .map(|e| {
                    view! {
                        <p class="error" role="alert" id="login-error">
                            {move || login_error_text(i18n.get_locale(), e)}
                        </p>
                    }
                })}
            {(!login.locked_out)
                .then(move || {
                    view! {
                        <form method="post" action="/admin/login" class="admin-form">
                            <input type="hidden" name="csrf" value=login.csrf/>
                            <label for="admin-password">{tr(|l| td_string!(l, admin.password).to_string())}</label>
                            <input
                                id="admin-password"
                                name="password"
                                type="password"
                                autocomplete="current-password"
                                required
                            />
                            <button type="submit" class="primary" id="admin-sign-in">
                                {tr(|l| td_string!(l, admin.sign_in).to_string())}
                            </button>
                        </form>
                    }
                })}
        </section>
    }
}

#[component]
fn Refused(refused: Refusal) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=tab_title(|l| td_string!(l, admin.refused_tab).to_string())/>
        <section class="card state" id="admin-refused" data-state="refused" role="alert">
            <h1>{move || refusal_title(i18n.get_locale(), refused)}</h1>
            <p class="lead">{move || refusal_detail(i18n.get_locale(), refused)}</p>
            <p><a href="/admin" rel="external">{tr(|l| td_string!(l, admin.back).to_string())}</a></p>
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
        <Title text=tab_title(|l| td_string!(l, admin.console_tab).to_string())/>
        <section class="card admin" id="admin-dashboard">
            <DashboardHead csrf=csrf.clone() version uptime_secs as_of notice/>
            <h2>{tr(|l| td_string!(l, admin.health).to_string())}</h2>
            <dl class="facts">
                <HealthRow
                    id="health-store"
                    title=tr(|l| td_string!(l, admin.records).to_string())
                    health=store
                />
                <HealthRow
                    id="health-blobs"
                    title=tr(|l| td_string!(l, admin.ciphertext).to_string())
                    health=blobs
                />
            </dl>
            <h2>{tr(|l| td_string!(l, admin.live_shares).to_string())}</h2>
            <LiveFacts live stored_bytes free_bytes/>
            <h2>{tr(|l| td_string!(l, admin.activity).to_string())}</h2>
            <Activity activity/>
            <h2>{tr(|l| td_string!(l, admin.takedown_heading).to_string())}</h2>
            <TakedownForm csrf/>
            <h2>{tr(|l| td_string!(l, admin.newest_shares).to_string())}</h2>
            <ShareTable shares/>
            <h2>{tr(|l| td_string!(l, admin.recent_actions).to_string())}</h2>
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
    notice: Option<TakedownOutcome>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="admin-head">
            <h1>{tr(|l| td_string!(l, admin.console).to_string())}</h1>
            <form method="post" action="/admin/logout">
                <input type="hidden" name="csrf" value=csrf/>
                <button type="submit" id="admin-sign-out">{tr(|l| td_string!(l, admin.sign_out).to_string())}</button>
            </form>
        </div>
        <p class="lead">
            {move || {
                let locale = i18n.get_locale();
                let uptime = uptime_text(locale, uptime_secs);
                td_string!(locale, admin.head_line, version = version.clone(), uptime = uptime, as_of = as_of.clone())
                    .to_string()
            }}
        </p>
        {notice
            .map(|n| {
                view! {
                    <p class="notice admin-notice" id="admin-notice" role="status">
                        {move || takedown_text(i18n.get_locale(), &n)}
                    </p>
                }
            })}
    }
    .into_any()
}

#[component]
fn LiveFacts(live: LiveShares, stored_bytes: u64, free_bytes: Option<u64>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <dl class="facts admin-live">
            <dt>{tr(|l| td_string!(l, admin.uploading).to_string())}</dt>
            <dd id="live-uploading">{live.uploading.to_string()}</dd>
            <dt>{tr(|l| td_string!(l, admin.ready).to_string())}</dt>
            <dd id="live-ready">{live.ready.to_string()}</dd>
            <dt>{tr(|l| td_string!(l, admin.being_downloaded).to_string())}</dt>
            <dd id="live-downloading">{live.downloading.to_string()}</dd>
            <dt>{tr(|l| td_string!(l, admin.locked).to_string())}</dt>
            <dd id="live-locked">{live.locked.to_string()}</dd>
            <dt>{tr(|l| td_string!(l, admin.ciphertext_stored).to_string())}</dt>
            <dd id="stored-bytes" data-bytes=stored_bytes.to_string()>
                {move || human_bytes(i18n.get_locale(), stored_bytes)}
            </dd>
            <dt>{tr(|l| td_string!(l, admin.free_space).to_string())}</dt>
            <dd id="free-bytes">
                {move || {
                    let locale = i18n.get_locale();
                    free_bytes
                        .map_or_else(
                            || td_string!(locale, admin.unknown).to_string(),
                            |b| human_bytes(locale, b),
                        )
                }}
            </dd>
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
                        <th scope="col">{tr(|l| td_string!(l, admin.event).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.last_hour).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.five_minute_steps).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.last_day).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.hourly).to_string())}</th>
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
            <label for="takedown-share">{tr(|l| td_string!(l, admin.share_link_or_id).to_string())}</label>
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
                {tr(|l| td_string!(l, admin.key_never_sent).to_string())}
            </p>
            <button type="submit" class="danger" id="takedown-submit">
                {tr(|l| td_string!(l, admin.take_down).to_string())}
            </button>
        </form>
    }
    .into_any()
}

#[component]
fn HealthRow(id: &'static str, title: Signal<String>, health: Health) -> impl IntoView {
    let i18n = use_i18n();
    let ok = health.ok;
    let state = if ok { "ok" } else { "failing" };
    view! {
        <dt>{title}</dt>
        <dd id=id data-state=state>
            <span class=format!("health {state}")>
                {move || {
                    if ok {
                        td_string!(i18n.get_locale(), admin.ok).to_string()
                    } else {
                        td_string!(i18n.get_locale(), admin.failing).to_string()
                    }
                }}
            </span>
            " · " {move || place_text(i18n.get_locale(), &health.label)} " · "
            {move || answer_text(i18n.get_locale(), &health.detail)}
        </dd>
    }
    .into_any()
}

#[component]
fn ActivityRow(series: Series) -> impl IntoView {
    let Series {
        kind,
        hour,
        day,
        hour_bars,
        day_bars,
    } = series;
    let i18n = use_i18n();
    let key = kind.key();
    let named = Signal::derive(move || series_label(i18n.get_locale(), kind));
    let hour_what = Signal::derive(move || {
        td_string!(i18n.get_locale(), admin.chart_hour, what = named.get()).to_string()
    });
    let day_what = Signal::derive(move || {
        td_string!(i18n.get_locale(), admin.chart_day, what = named.get()).to_string()
    });
    view! {
        <tr id=format!("activity-{key}")>
            <th scope="row">{named}</th>
            <td class="num" id=format!("count-{key}-hour")>{hour.to_string()}</td>
            <td><Chart values=hour_bars what=hour_what/></td>
            <td class="num" id=format!("count-{key}-day")>{day.to_string()}</td>
            <td><Chart values=day_bars what=day_what/></td>
        </tr>
    }
    .into_any()
}

/// A small bar chart, drawn as SVG on the server; the numbers are in its label.
#[component]
fn Chart(values: Vec<u64>, what: Signal<String>) -> impl IntoView {
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
            aria-label=move || format!("{}: {listed}", what.get())
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
    let i18n = use_i18n();
    if shares.is_empty() {
        return view! { <p class="notice" id="shares">{tr(|l| td_string!(l, admin.no_shares).to_string())}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="admin-table" id="shares">
                <thead>
                    <tr>
                        <th scope="col">{tr(|l| td_string!(l, admin.id).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.state).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.size).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.created).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.expires).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.downloads_left).to_string())}</th>
                        <th scope="col">{tr(|l| td_string!(l, admin.wrong_passwords).to_string())}</th>
                    </tr>
                </thead>
                <tbody>
                    {shares
                        .into_iter()
                        .map(|s| {
                            let (short_id, state) = (s.short_id.clone(), s.state.clone());
                            let size = s.size;
                            view! {
                                <tr data-short-id=short_id>
                                    <td><code>{s.short_id}</code></td>
                                    <td data-state=state>{move || share_state_text(i18n.get_locale(), &s.state)}</td>
                                    <td class="num">{move || human_bytes(i18n.get_locale(), size)}</td>
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
        return view! { <p class="notice" id="actions">{tr(|l| td_string!(l, admin.no_actions).to_string())}</p> }
            .into_any();
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
