//! File names from sealed meta are the sender's words: untrusted (protocol
//! §3). One sanitiser makes them safe to save under, in every client; the
//! same rules, component by component, make a folder's paths safe inside
//! a ZIP archive.

/// The name used when a sealed name has nothing usable left.
pub const FALLBACK_FILE_NAME: &str = "ots-download";
/// Longest name, in bytes, a client saves under (most file systems allow 255).
pub const MAX_FILE_NAME_BYTES: usize = 200;
/// Longest extension kept when a long name is cut.
const MAX_EXTENSION_BYTES: usize = 16;

/// Characters that reorder or hide text on screen (bidirectional overrides,
/// zero-width marks): a name holding them can pass for another name
/// (`invoice\u{202E}fdp.exe` is drawn as `invoiceexe.pdf`).
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// Characters no portable file name may hold: path separators, the drive
/// colon and the rest of Windows' reserved set.
fn is_reserved_char(c: char) -> bool {
    matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
}

/// Device names Windows opens instead of a file, whatever the extension.
fn is_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    let upper = stem.to_ascii_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let mut chars = upper.chars();
            let last = chars.next_back();
            matches!(chars.as_str(), "COM" | "LPT")
                && last.is_some_and(|d| d.is_ascii_digit() || matches!(d, '¹' | '²' | '³'))
        }
    }
}

/// Makes the sender's `name` safe to create in a directory, on any system:
/// no path separators or reserved characters, no control or invisible
/// format characters (each becomes `_`), no leading dots (neither `..` nor
/// a hidden file by accident), no trailing dots or spaces, no device name
/// (`CON`, `NUL.txt` get a leading `_`), at most [`MAX_FILE_NAME_BYTES`]
/// keeping the extension, never empty ([`FALLBACK_FILE_NAME`]).
pub fn safe_file_name(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if is_reserved_char(c) || c.is_control() || is_invisible_format(c) {
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
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '_') {
        return FALLBACK_FILE_NAME.to_owned();
    }
    let unreserved = if is_device_name(trimmed) {
        format!("_{trimmed}")
    } else {
        trimmed.to_owned()
    };
    bounded(&unreserved)
}

/// Makes a path relative to what the sender chose (`photos/2026/a.jpg`, a
/// folder's file) safe as an entry name inside a ZIP archive (protocol 1.1
/// §3): split on `/` and `\`, empty, `.` and `..` components dropped (so the
/// path is relative and climbs nowhere), every other component made safe by
/// [`safe_file_name`], joined with `/`; never empty ([`FALLBACK_FILE_NAME`]).
pub fn safe_archive_path(path: &str) -> String {
    let parts: Vec<String> = path
        .split(['/', '\\'])
        .filter(|part| !matches!(*part, "" | "." | ".."))
        .map(safe_file_name)
        .collect();
    if parts.is_empty() {
        return FALLBACK_FILE_NAME.to_owned();
    }
    parts.join("/")
}

/// The name a share of several files (protocol 1.1 §3) is saved under: its
/// sealed name made safe by [`safe_file_name`], ending in `.zip` (added when
/// missing, within the length bound).
pub fn archive_file_name(name: &str) -> String {
    let safe = safe_file_name(name);
    if safe.to_ascii_lowercase().ends_with(".zip") {
        safe
    } else {
        safe_file_name(&format!("{safe}.zip"))
    }
}

/// Cuts `name` to [`MAX_FILE_NAME_BYTES`] on a character boundary, keeping
/// a short extension: it is what tells the recipient what the file is.
fn bounded(name: &str) -> String {
    if name.len() <= MAX_FILE_NAME_BYTES {
        return name.to_owned();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.len() <= MAX_EXTENSION_BYTES);
    let keep = MAX_FILE_NAME_BYTES - ext.map_or(0, |e| e.len() + 1);
    let mut out = String::with_capacity(MAX_FILE_NAME_BYTES);
    for c in name.chars() {
        if out.len() + c.len_utf8() > keep {
            break;
        }
        out.push(c);
    }
    if let Some(ext) = ext {
        out.push('.');
        out.push_str(ext);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_is_saved_as_a_safe_zip_name() {
        assert_eq!(archive_file_name("photos.zip"), "photos.zip");
        assert_eq!(archive_file_name("Photos.ZIP"), "Photos.ZIP");
        assert_eq!(archive_file_name("photos"), "photos.zip");
        assert_eq!(archive_file_name(""), "ots-download.zip");
        assert_eq!(archive_file_name("../a:b"), "_a_b.zip");
        let long = archive_file_name(&"x".repeat(300));
        assert!(long.ends_with(".zip") && long.len() <= MAX_FILE_NAME_BYTES);
    }

    #[test]
    fn plain_names_are_kept() {
        assert_eq!(safe_file_name("report.pdf"), "report.pdf");
        assert_eq!(safe_file_name("résumé 2026.docx"), "résumé 2026.docx");
        assert_eq!(safe_file_name("ملف.txt"), "ملف.txt");
    }

    #[test]
    fn path_separators_cannot_escape_the_directory() {
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name("/etc/passwd"), "_etc_passwd");
        assert_eq!(safe_file_name("..\\..\\boot.ini"), "_.._boot.ini");
        assert_eq!(safe_file_name("C:\\x"), "C__x");
    }

    #[test]
    fn markup_and_reserved_characters_are_defused() {
        assert_eq!(
            safe_file_name("<svg onload=alert(1)>.html"),
            "_svg onload=alert(1)_.html"
        );
        assert_eq!(safe_file_name("a:b*c?d\"e|f"), "a_b_c_d_e_f");
    }

    #[test]
    fn dot_names_become_the_fallback() {
        for name in ["..", ".", "", "   ", "/", "...", "\u{202E}"] {
            assert_eq!(safe_file_name(name), FALLBACK_FILE_NAME, "{name:?}");
        }
    }

    #[test]
    fn leading_dots_do_not_hide_the_file() {
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("...secret"), "secret");
        assert_eq!(safe_file_name("name. . "), "name");
    }

    #[test]
    fn control_and_bidi_characters_are_replaced() {
        assert_eq!(safe_file_name("a\nb\tc\u{7}.txt"), "a_b_c_.txt");
        assert_eq!(safe_file_name("invoice\u{202E}fdp.exe"), "invoice_fdp.exe");
        assert_eq!(safe_file_name("\u{1b}[31mred"), "_[31mred");
        assert_eq!(safe_file_name("a\u{200B}b"), "a_b");
    }

    #[test]
    fn device_names_are_not_devices() {
        for name in [
            "CON", "nul", "NUL.txt", "com1", "LPT9.log", "aux .c", "COM¹",
        ] {
            let safe = safe_file_name(name);
            assert!(safe.starts_with('_'), "{name} -> {safe}");
        }
        for name in ["CONFIG", "console.log", "com10", "LPT", "nullable.rs"] {
            assert_eq!(safe_file_name(name), name);
        }
    }

    #[test]
    fn archive_paths_stay_relative_and_inside() {
        assert_eq!(safe_archive_path("photos/2026/a.jpg"), "photos/2026/a.jpg");
        assert_eq!(safe_archive_path("../../etc/passwd"), "etc/passwd");
        assert_eq!(safe_archive_path("/etc/passwd"), "etc/passwd");
        assert_eq!(safe_archive_path("a/./b/../c.txt"), "a/b/c.txt");
        assert_eq!(safe_archive_path("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(safe_archive_path("C:\\Users\\x.txt"), "C_/Users/x.txt");
        assert_eq!(safe_archive_path("//server/share/f"), "server/share/f");
    }

    #[test]
    fn archive_path_components_get_the_file_name_rules() {
        assert_eq!(safe_archive_path("Grüße/日本語.txt"), "Grüße/日本語.txt");
        assert_eq!(safe_archive_path("dir/CON"), "dir/_CON");
        assert_eq!(safe_archive_path(".git/config"), "git/config");
        assert_eq!(safe_archive_path("a\u{202E}b/c:d"), "a_b/c_d");
        assert_eq!(safe_archive_path("x/.../y"), "x/ots-download/y");
    }

    #[test]
    fn archive_paths_with_nothing_left_become_the_fallback() {
        for path in ["", "/", ".", "..", "../..", "./", "\\"] {
            assert_eq!(safe_archive_path(path), FALLBACK_FILE_NAME, "{path:?}");
        }
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = format!("{}.tar.gz", "é".repeat(300));
        let safe = safe_file_name(&long);
        assert!(safe.len() <= MAX_FILE_NAME_BYTES, "{}", safe.len());
        assert!(safe.ends_with(".gz"));
        assert!(safe.starts_with('é'));
        assert_eq!(safe_file_name(&"x".repeat(500)).len(), MAX_FILE_NAME_BYTES);
    }
}
