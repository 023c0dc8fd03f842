//! Small pieces shared by the pages: progress bar, copy button, QR code,
//! and the card that tells a share's state.

use leptos::prelude::*;

use crate::format::progress_line;
use crate::i18n::{td_string, use_i18n, Locale};
use crate::qr::qr_svg;

/// Progress of a long step, for [`ProgressBar`].
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// What is happening, e.g. "Encrypting and uploading".
    pub label: String,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all; 0 when unknown (an indeterminate bar).
    pub total: u64,
    /// Milliseconds the step has run.
    pub elapsed_ms: f64,
}

/// A labelled progress bar with bytes, rate and time left.
#[component]
pub fn ProgressBar(progress: Signal<Option<Progress>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let locale = i18n.get_locale();
        progress.get().map(|p| {
            let line = if p.total > 0 {
                progress_line(locale, p.done, p.total, p.elapsed_ms / 1000.0)
            } else {
                String::new()
            };
            // Thousandths done, an integer: the bar needs no finer steps.
            let value = (p.total > 0).then(|| permille(p.done, p.total));
            view! {
                <div class="progress" id="progress" role="status" aria-live="polite">
                    <label for="progress-bar">{p.label.clone()}</label>
                    <progress id="progress-bar" max="1000" value=value></progress>
                    <p class="progress-line">{line}</p>
                </div>
            }
        })
    }
}

/// `done` of `total` (not 0) in thousandths, rounded down, at most 1000.
fn permille(done: u64, total: u64) -> u64 {
    let done = u128::from(done.min(total));
    u64::try_from(done * 1000 / u128::from(total.max(1))).unwrap_or(1000)
}

/// A button that copies `text` to the clipboard and says so.
#[component]
pub fn CopyButton(
    #[prop(into)] text: Signal<String>,
    #[prop(into)] id: String,
    #[prop(into)] label: Signal<String>,
) -> impl IntoView {
    // None: idle; Some(true): copied; Some(false): the browser refused.
    let (copied, set_copied) = signal(None::<bool>);
    let on_click = move |_| {
        let value = text.get_untracked();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let ok = crate::browser::dom::copy_text(&value).await.is_ok();
            set_copied.set(Some(ok));
            crate::browser::dom::sleep(if ok { 2_000 } else { 6_000 }).await;
            set_copied.set(None);
        });
    };
    view! {
        <button type="button" class="copy" id=id on:click=on_click>
            {move || match copied.get() {
                Some(true) => tr(|l| td_string!(l, widgets.copied).to_string()).into_any(),
                Some(false) => tr(|l| td_string!(l, widgets.copy_by_hand).to_string()).into_any(),
                None => label.get().into_any(),
            }}
        </button>
    }
}

/// The QR code of `text`, drawn as SVG in the page; `id` and `label`
/// default to the share link's.
#[component]
pub fn QrCode(
    #[prop(into)] text: String,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional, into)] label: Option<Signal<String>>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| "qr".into());
    let i18n = use_i18n();
    let label = label.unwrap_or_else(|| {
        Signal::derive(move || td_string!(i18n.get_locale(), widgets.qr_of_link).to_string())
    });
    qr_svg(&text).map(|svg| {
        let view_box = format!("0 0 {0} {0}", svg.side);
        view! {
            <svg
                class="qr"
                id=id
                viewBox=view_box
                role="img"
                aria-label=label
                shape-rendering="crispEdges"
            >
                <rect width="100%" height="100%" fill="#fff"></rect>
                <path d=svg.path fill="#000"></path>
            </svg>
        }
    })
}

/// A catalog text in the page's language, following the language switcher.
///
/// Every translated text of the pages is this one type (`Signal<String>`), so
/// the view code that renders it exists once in the bundle, not once per key
/// and language as with a view per translation.
pub fn tr(text: impl Fn(Locale) -> String + Send + Sync + 'static) -> Signal<String> {
    let i18n = use_i18n();
    Signal::derive(move || text(i18n.get_locale()))
}

/// A page's tab title in the page's language, following the language
/// switcher in the browser. The server reads a title once the page's route
/// has rendered, when that route's own signals may be gone: there the title
/// is the text itself, as a page is rendered in one language.
pub fn tab_title(text: impl Fn(Locale) -> String + Send + Sync + 'static) -> TextProp {
    let i18n = use_i18n();
    if cfg!(feature = "ssr") {
        TextProp::from(text(i18n.get_locale_untracked()))
    } else {
        TextProp::from(move || text(i18n.get_locale()))
    }
}

/// Moves the keyboard focus to the element with `id` once the component
/// that calls this is in the page, so that keyboard and screen-reader
/// users land on what a step led to (the browser only; nothing on the server).
pub fn focus_when_shown(id: &'static str) {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        crate::browser::dom::focus(id);
    });
}

/// A card that tells the state of a share: `state` goes to `data-state`
/// for tests and styling, `title` and `detail` are plain text. It is
/// announced (`role="alert"`) and takes the focus when it appears.
#[component]
pub fn StateCard(
    #[prop(into)] state: String,
    #[prop(into)] title: String,
    #[prop(into)] detail: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    focus_when_shown("state");
    view! {
        <section class="card state" id="state" data-state=state role="alert" tabindex="-1">
            <h1>{title}</h1>
            <p class="lead">{detail}</p>
            {children.map(|c| c())}
        </section>
    }
}

/// An RFC 3339 time as `locale` writes times, in the reader's time zone
/// (in the browser; as is on the server).
pub fn local_time(locale: Locale, rfc3339: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        crate::browser::dom::local_time(crate::i18n::I18nLocaleTrait::as_str(locale), rfc3339)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = locale;
        rfc3339.to_string()
    }
}

/// "in 23 hours (27 Nov 2026, 23:00)" in the browser; as is on the server.
pub fn expiry_text(locale: Locale, rfc3339: &str) -> String {
    let when = local_time(locale, rfc3339);
    #[cfg(feature = "hydrate")]
    if let Some(secs) = crate::browser::dom::secs_until(rfc3339).filter(|s| *s > 0) {
        let left = crate::format::human_duration(locale, secs.unsigned_abs());
        return td_string!(locale, units.in_time, left = left, when = when).to_string();
    }
    when
}

#[cfg(test)]
mod tests {
    use super::permille;

    #[cfg(feature = "ssr")]
    #[test]
    fn a_tab_title_is_still_there_when_the_route_that_set_it_is_gone() {
        use crate::i18n::{td_string, Locale};
        use leptos::prelude::*;
        use leptos_i18n::context::init_i18n_context;

        crate::test_executor::install();
        // The server reads the page's title after its route has rendered.
        let page = Owner::new_root(None);
        let title = page.with(|| {
            provide_context(init_i18n_context::<Locale>());
            let route = Owner::current().expect("the page's owner").child();
            let title =
                route.with(|| super::tab_title(|l| td_string!(l, admin.login_tab).to_string()));
            route.cleanup();
            title
        });
        assert_eq!(
            page.with(|| title.get()).as_str(),
            "Console sign-in · OneTimeShare"
        );
    }

    #[test]
    fn progress_is_counted_in_thousandths() {
        assert_eq!(permille(0, 10), 0);
        assert_eq!(permille(1, 3), 333);
        assert_eq!(permille(10, 10), 1000);
        assert_eq!(permille(20, 10), 1000);
        assert_eq!(permille(u64::MAX - 1, u64::MAX), 999);
        assert_eq!(permille(u64::MAX, u64::MAX), 1000);
    }
}
