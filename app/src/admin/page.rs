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
use crate::i18n::{t, td_string, use_i18n};

/// The console (`/admin`).
#[component]
pub fn AdminPage() -> impl IntoView {
    match current() {
        None => view! { <p class="notice">{t!(use_i18n(), app.not_found)}</p> }.into_any(),
        Some(AdminView::Login(login)) => view! { <Login login/> }.into_any(),
        Some(AdminView::Refused(refused)) => view! { <Refused refused/> }.into_any(),
        Some(AdminView::Dashboard(dash)) => view! { <Dashboard dash=*dash/> }.into_any(),
    }
}

#[component]
fn Login(login: LoginView) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=move || td_string!(i18n.get_locale(), admin.login_tab).to_string()/>
        <section class="card admin-login" id="admin-login">
            <h1>{t!(i18n, admin.console)}</h1>
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
                            <label for="admin-password">{t!(i18n, admin.password)}</label>
                            <input
                                id="admin-password"
                                name="password"
                                type="password"
                                autocomplete="current-password"
                                required
                            />
                            <button type="submit" class="primary" id="admin-sign-in">
                                {t!(i18n, admin.sign_in)}
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
        <Title text=move || td_string!(i18n.get_locale(), admin.refused_tab).to_string()/>
        <section class="card state" id="admin-refused" data-state="refused" role="alert">
            <h1>{move || refusal_title(i18n.get_locale(), refused)}</h1>
            <p class="lead">{move || refusal_detail(i18n.get_locale(), refused)}</p>
            <p><a href="/admin" rel="external">{t!(i18n, admin.back)}</a></p>
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
    let i18n = use_i18n();
    view! {
        <Title text=move || td_string!(i18n.get_locale(), admin.console_tab).to_string()/>
        <section class="card admin" id="admin-dashboard">
            <DashboardHead csrf=csrf.clone() version uptime_secs as_of notice/>
            <h2>{t!(i18n, admin.health)}</h2>
            <dl class="facts">
                <HealthRow
                    id="health-store"
                    title=Signal::derive(move || td_string!(i18n.get_locale(), admin.records).to_string())
                    health=store
                />
                <HealthRow
                    id="health-blobs"
                    title=Signal::derive(move || td_string!(i18n.get_locale(), admin.ciphertext).to_string())
                    health=blobs
                />
            </dl>
            <h2>{t!(i18n, admin.live_shares)}</h2>
            <LiveFacts live stored_bytes free_bytes/>
            <h2>{t!(i18n, admin.activity)}</h2>
            <Activity activity/>
            <h2>{t!(i18n, admin.takedown_heading)}</h2>
            <TakedownForm csrf/>
            <h2>{t!(i18n, admin.newest_shares)}</h2>
            <ShareTable shares/>
            <h2>{t!(i18n, admin.recent_actions)}</h2>
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
            <h1>{t!(i18n, admin.console)}</h1>
            <form method="post" action="/admin/logout">
                <input type="hidden" name="csrf" value=csrf/>
                <button type="submit" id="admin-sign-out">{t!(i18n, admin.sign_out)}</button>
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
            <dt>{t!(i18n, admin.uploading)}</dt>
            <dd id="live-uploading">{live.uploading.to_string()}</dd>
            <dt>{t!(i18n, admin.ready)}</dt>
            <dd id="live-ready">{live.ready.to_string()}</dd>
            <dt>{t!(i18n, admin.being_downloaded)}</dt>
            <dd id="live-downloading">{live.downloading.to_string()}</dd>
            <dt>{t!(i18n, admin.locked)}</dt>
            <dd id="live-locked">{live.locked.to_string()}</dd>
            <dt>{t!(i18n, admin.ciphertext_stored)}</dt>
            <dd id="stored-bytes" data-bytes=stored_bytes.to_string()>
                {move || human_bytes(i18n.get_locale(), stored_bytes)}
            </dd>
            <dt>{t!(i18n, admin.free_space)}</dt>
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
    let i18n = use_i18n();
    view! {
        <div class="table-scroll">
            <table class="admin-table admin-activity" id="activity">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, admin.event)}</th>
                        <th scope="col">{t!(i18n, admin.last_hour)}</th>
                        <th scope="col">{t!(i18n, admin.five_minute_steps)}</th>
                        <th scope="col">{t!(i18n, admin.last_day)}</th>
                        <th scope="col">{t!(i18n, admin.hourly)}</th>
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
    let i18n = use_i18n();
    view! {
        <form method="post" action="/admin/takedown" class="admin-form" id="takedown">
            <input type="hidden" name="csrf" value=csrf/>
            <label for="takedown-share">{t!(i18n, admin.share_link_or_id)}</label>
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
                {t!(i18n, admin.key_never_sent)}
            </p>
            <button type="submit" class="danger" id="takedown-submit">
                {t!(i18n, admin.take_down)}
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
        return view! { <p class="notice" id="shares">{t!(i18n, admin.no_shares)}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="admin-table" id="shares">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, admin.id)}</th>
                        <th scope="col">{t!(i18n, admin.state)}</th>
                        <th scope="col">{t!(i18n, admin.size)}</th>
                        <th scope="col">{t!(i18n, admin.created)}</th>
                        <th scope="col">{t!(i18n, admin.expires)}</th>
                        <th scope="col">{t!(i18n, admin.downloads_left)}</th>
                        <th scope="col">{t!(i18n, admin.wrong_passwords)}</th>
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
        let i18n = use_i18n();
        return view! { <p class="notice" id="actions">{t!(i18n, admin.no_actions)}</p> }
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
