//! File names as `ots` chooses them: the numbered alternative to a name
//! that is taken, the MIME type a sent file announces, and the names of
//! paths inside an archive. Making a sealed name safe is the protocol's one
//! sanitiser, `ots_proto::safe_file_name`.

use std::path::{Path, PathBuf};

use ots_proto::safe_file_name;

/// Whether one component of a path inside an archive is a name the
/// sanitiser leaves as it is, but for one leading dot: hidden files are
/// ordinary inside a folder (`.gitignore`), `..` is not.
pub fn is_portable_component(part: &str) -> bool {
    let rest = part.strip_prefix('.').unwrap_or(part);
    !rest.is_empty() && !rest.starts_with('.') && safe_file_name(rest) == rest
}

/// `part` made portable by the sanitiser, keeping one leading dot: what a
/// sender writes into an archive, so that every extractor (ours refuses
/// anything else) can create it on any system.
pub fn portable_component(part: &str) -> String {
    match part.strip_prefix('.') {
        Some(rest) if !rest.is_empty() && !rest.starts_with('.') => {
            format!(".{}", safe_file_name(rest))
        }
        _ => safe_file_name(part),
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
    fn numbered_names_keep_the_extension() {
        assert_eq!(
            numbered(Path::new("/d/report.pdf"), 1),
            PathBuf::from("/d/report (1).pdf")
        );
        assert_eq!(numbered(Path::new("notes"), 2), PathBuf::from("notes (2)"));
    }

    #[test]
    fn portable_components_keep_one_leading_dot() {
        for (part, portable) in [
            ("report.pdf", "report.pdf"),
            (".gitignore", ".gitignore"),
            ("a:b.txt", "a_b.txt"),
            ("CON", "_CON"),
            ("..hidden", "hidden"),
            ("name. ", "name"),
            (".", "ots-download"),
        ] {
            assert_eq!(portable_component(part), portable, "{part:?}");
            assert!(is_portable_component(&portable_component(part)), "{part:?}");
            assert_eq!(is_portable_component(part), part == portable, "{part:?}");
        }
    }

    #[test]
    fn mime_follows_the_extension() {
        assert_eq!(mime_for("a.PDF"), "application/pdf");
        assert_eq!(mime_for("noext"), "application/octet-stream");
    }
}
