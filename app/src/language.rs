//! Which language a page speaks, and the switcher between languages.
//!
//! The server renders a page in the language of `?lang=` when it names one
//! of the catalogs, else the first of `Accept-Language` (by weight) that
//! has one, else English; the browser takes the rendered page's
//! `<html lang>` and keeps it. No cookie and no storage: the choice lives
//! in the address (`?lang=de`), so a link shared in German opens in
//! German. The switcher changes the language in place and writes `?lang=`
//! into the address without reloading or touching the fragment, so a
//! receive link's key is never lost by switching.

use leptos::prelude::*;

use leptos_i18n::context::{init_i18n_context_with_options, I18nContext, I18nContextOptions};
use leptos_meta::Html;

use crate::i18n::{td_string, use_i18n, I18nLocaleTrait, Locale};

/// The query parameter that chooses the language.
pub const LANG_PARAM: &str = "lang";

#[cfg(feature = "ssr")]
/// The value of `?lang=` in a query string (without the `?`), if any.
pub fn lang_from_query(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == LANG_PARAM)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(feature = "ssr")]
/// The language tags of an `Accept-Language` header, most wanted first
/// (weights honoured, `q=0` dropped, spaces trimmed).
pub fn accepted_languages(header: &str) -> Vec<String> {
    let mut tags: Vec<(f32, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(order, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (!tag.is_empty() && tag != "*" && weight > 0.0).then_some((weight, order, tag))
        })
        .collect();
    // Highest weight first; equal weights keep the header's order.
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.into_iter()
        .map(|(_, _, tag)| tag.to_string())
        .collect()
}

#[cfg(feature = "ssr")]
/// What the server tells the catalogs a request prefers, as one
/// `Accept-Language`-shaped list: `?lang=` first, then the header's tags.
pub fn preferred(query: Option<&str>, accept_language: Option<&str>) -> String {
    let mut tags = Vec::new();
    if let Some(lang) = query.and_then(lang_from_query) {
        tags.push(lang.to_string());
    }
    tags.extend(accept_language.map(accepted_languages).unwrap_or_default());
    tags.join(",")
}

/// The language context around the whole app.
#[component]
///
/// leptos_i18n's own provider also renders an empty `<script>` without the
/// page's CSP nonce; this one provides the same context and sets
/// `<html lang dir>`, and renders nothing else.
pub fn Languages(children: Children) -> impl IntoView {
    let i18n = language_context();
    provide_context(i18n);
    // The children first: the language they read is the one <html> gets.
    let children = children();
    let lang = move || i18n.get_locale().as_str();
    let dir = move || i18n.get_locale().direction().as_str();
    view! {
        {children}
        <Html attr:lang=lang attr:dir=dir/>
    }
}

/// The page's language context.
///
/// leptos_i18n runs an effect in it that would keep the language in a
/// cookie (this app sets none). On the server that effect may first run
/// after the page has been sent and its signals are gone, and then panic;
/// there its scope is paused, so it never runs.
fn language_context() -> I18nContext<Locale> {
    let getter = leptos_use::UseLocalesOptions::default().ssr_lang_header_getter(request_languages);
    let options = I18nContextOptions::<Locale>::default().ssr_lang_header_getter(getter);
    if cfg!(feature = "ssr") {
        let scope = Owner::new();
        let i18n = scope.with(|| init_i18n_context_with_options(options));
        scope.pause();
        // The scope, and the language signal in it, last as long as the page.
        Owner::on_cleanup(move || drop(scope));
        i18n
    } else {
        init_i18n_context_with_options(options)
    }
}

/// The request's preferred languages (on the server; nothing in the browser).
fn request_languages() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        let parts = use_context::<http::request::Parts>()?;
        let accept = parts
            .headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Some(preferred(parts.uri.query(), accept))
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// Links to every language, each named in its own language.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let i18n = use_i18n();
    let label = move || td_string!(i18n.get_locale(), app.language).to_string();
    let links = Locale::get_all()
        .iter()
        .map(|&locale| {
            let code = locale.as_str();
            let choose = move |ev: leptos::ev::MouseEvent| {
                ev.prevent_default();
                i18n.set_locale(locale);
                #[cfg(feature = "hydrate")]
                crate::browser::dom::set_query_param(LANG_PARAM, code);
            };
            view! {
                <li>
                    <a
                        href=format!("?{LANG_PARAM}={code}")
                        hreflang=code
                        lang=code
                        id=format!("lang-{code}")
                        aria-current=move || (i18n.get_locale() == locale).then_some("true")
                        on:click=choose
                    >
                        {td_string!(locale, language_name).to_string()}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <nav class="languages" aria-label=label>
            <ul>{links}</ul>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn on_the_server_the_language_context_runs_no_effect() {
        crate::test_executor::install();
        let page = Owner::new_root(None);
        let i18n = page.with(language_context);
        // An effect that ran once follows the language; on the server it may
        // first run after the page has been sent and its signals are gone.
        let spawned = crate::test_executor::poll_spawned();
        assert_eq!(spawned.panicked, 0);
        page.with(|| i18n.set_locale(Locale::de));
        assert_eq!(spawned.wakes(), 0, "an effect follows the language");
        assert_eq!(page.with(|| i18n.get_locale_untracked()), Locale::de);
        page.unset_with_forced_cleanup();
    }

    #[test]
    fn the_query_names_the_language() {
        assert_eq!(lang_from_query("lang=de"), Some("de"));
        assert_eq!(lang_from_query("x=1&lang=ar"), Some("ar"));
        assert_eq!(lang_from_query("lang="), None);
        assert_eq!(lang_from_query("language=de"), None);
        assert_eq!(lang_from_query(""), None);
    }

    #[test]
    fn accept_language_is_read_by_weight_with_spaces_trimmed() {
        assert_eq!(
            accepted_languages("fr;q=0.5, de-AT, ar;q=0.9, *;q=0.1"),
            ["de-AT", "ar", "fr"]
        );
        assert_eq!(accepted_languages("de;q=0, en"), ["en"]);
        assert!(accepted_languages("").is_empty());
    }

    #[test]
    fn the_query_comes_before_the_header() {
        assert_eq!(preferred(Some("lang=ar"), Some("de, en")), "ar,de,en");
        assert_eq!(preferred(None, Some("de, en;q=0.5")), "de,en");
        assert_eq!(preferred(Some("a=b"), None), "");
    }

    #[test]
    fn every_catalog_is_a_language_the_page_can_pick() {
        for tags in [["de-DE"], ["de"]] {
            assert_eq!(Locale::find_locale(&tags), Locale::de);
        }
        assert_eq!(Locale::find_locale(&["ar-EG"]), Locale::ar);
        assert_eq!(Locale::find_locale(&["fr", "ar"]), Locale::ar);
        assert_eq!(Locale::find_locale(&["fr"]), Locale::en);
        assert_eq!(Locale::ar.direction().as_str(), "rtl");
        assert_eq!(Locale::de.direction().as_str(), "ltr");
    }
}
