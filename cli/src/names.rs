//! File names: making a sealed name safe to create in a directory, and the
//! MIME type a sent file announces.

use std::path::{Path, PathBuf};

/// The name used when a sealed name has nothing usable left.
pub const FALLBACK_NAME: &str = "ots-download";
/// Longest name, in bytes, that `ots` creates (most file systems allow 255).
const MAX_NAME_BYTES: usize = 200;

/// Characters that reorder or hide text on screen (bidirectional overrides,
/// zero-width marks): a name holding them can pass for another name.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Makes the sender's `name` safe to create in the output directory: no path
/// separators, no control or invisible format characters, no leading dots
/// (neither `..` nor a hidden file by accident), no surrounding whitespace,
/// at most 200 bytes, never empty.
pub fn safe_file_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() || is_invisible_format(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let trimmed = replaced
        .trim()
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let mut safe = String::with_capacity(trimmed.len().min(MAX_NAME_BYTES));
    if trimmed.len() > MAX_NAME_BYTES {
        // Keep the extension: it is what tells the recipient what the file is.
        let ext = trimmed
            .rsplit_once('.')
            .map(|(_, ext)| ext)
            .filter(|ext| ext.len() <= 16 && !ext.is_empty());
        let keep = MAX_NAME_BYTES - ext.map_or(0, |e| e.len() + 1);
        for c in trimmed.chars() {
            if safe.len() + c.len_utf8() > keep {
                break;
            }
            safe.push(c);
        }
        if let Some(ext) = ext {
            safe.push('.');
            safe.push_str(ext);
        }
    } else {
        safe.push_str(trimmed);
    }
    if safe.is_empty() || safe.chars().all(|c| c == '_') {
        FALLBACK_NAME.to_owned()
    } else {
        safe
    }
}

/// `report (n).pdf` for `report.pdf`: the `n`-th name to try when the first
/// one is taken.
pub fn numbered(path: &Path, n: u32) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let numbered = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    };
    path.with_file_name(numbered)
}

/// The MIME type announced for a file, from its extension.
pub fn mime_for(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" | "conf" | "ini" | "env" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "xml" => "application/xml",
        "yaml" | "yml" => "application/yaml",
        "toml" => "application/toml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "7z" => "application/x-7z-compressed",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "pem" | "crt" | "cer" => "application/x-pem-file",
        "key" => "application/octet-stream",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_kept() {
        assert_eq!(safe_file_name("report.pdf"), "report.pdf");
        assert_eq!(safe_file_name("résumé 2026.docx"), "résumé 2026.docx");
    }

    #[test]
    fn path_separators_cannot_escape_the_directory() {
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name("/etc/passwd"), "_etc_passwd");
        assert_eq!(safe_file_name("..\\..\\boot.ini"), "_.._boot.ini");
        assert!(!safe_file_name("a/b").contains('/'));
    }

    #[test]
    fn dot_names_become_the_fallback() {
        assert_eq!(safe_file_name(".."), FALLBACK_NAME);
        assert_eq!(safe_file_name("."), FALLBACK_NAME);
        assert_eq!(safe_file_name(""), FALLBACK_NAME);
        assert_eq!(safe_file_name("   "), FALLBACK_NAME);
        assert_eq!(safe_file_name("/"), FALLBACK_NAME);
    }

    #[test]
    fn leading_dots_do_not_hide_the_file() {
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("...secret"), "secret");
    }

    #[test]
    fn control_and_bidi_characters_are_replaced() {
        assert_eq!(safe_file_name("a\nb\tc\u{7}.txt"), "a_b_c_.txt");
        assert_eq!(safe_file_name("invoice\u{202E}fdp.exe"), "invoice_fdp.exe");
        assert_eq!(safe_file_name("\u{1b}[31mred"), "_[31mred");
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = format!("{}.tar.gz", "é".repeat(300));
        let safe = safe_file_name(&long);
        assert!(safe.len() <= MAX_NAME_BYTES, "{}", safe.len());
        assert!(safe.ends_with(".gz"));
        assert!(safe.starts_with('é'));
    }

    #[test]
    fn numbered_names_keep_the_extension() {
        assert_eq!(
            numbered(Path::new("/d/report.pdf"), 1),
            PathBuf::from("/d/report (1).pdf")
        );
        assert_eq!(numbered(Path::new("notes"), 2), PathBuf::from("notes (2)"));
    }

    #[test]
    fn mime_follows_the_extension() {
        assert_eq!(mime_for("a.PDF"), "application/pdf");
        assert_eq!(mime_for("noext"), "application/octet-stream");
    }
}
