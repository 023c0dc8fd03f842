//! Generates the `i18n` module from the catalogs in `locales/`: one JSON
//! file per language, `en.json` the default that every other falls back to.
//! Adding a language is adding its file.

use std::{error::Error, path::PathBuf};

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};

const DEFAULT_LOCALE: &str = "en";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=locales");
    let mut others: Vec<String> = std::fs::read_dir("locales")?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let locale = name.strip_suffix(".json")?.to_string();
            (locale != DEFAULT_LOCALE).then_some(locale)
        })
        .collect();
    others.sort();
    // Strings with values in them are also built outside views (`td_string!`),
    // e.g. for a size inside a sentence or an attribute.
    let config = Config::new(DEFAULT_LOCALE)?
        .add_locales(others)?
        .parse_options(ParseOptions::new().interpolate_display(true));
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("i18n");
    translations.generate_i18n_module(out)?;
    Ok(())
}
