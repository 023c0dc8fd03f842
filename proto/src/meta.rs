//! The plaintext of the sealed meta record (protocol §3): what a share is,
//! its name, MIME type and plaintext size. Sealing and opening it is the
//! crypto crate's; this is only its JSON shape.

use serde::{Deserialize, Serialize};

/// MIME type of a text share (§3).
pub const TEXT_MIME: &str = "text/plain;charset=utf-8";
/// MIME type of a share of several files (§3, 1.1).
pub const ZIP_MIME: &str = "application/zip";

/// What a share holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetaKind {
    /// A text, shown in the page.
    Text,
    /// A file, saved to disk.
    File,
    /// Several files in one ZIP archive (1.1); `files` lists them.
    Files,
}

/// One file inside a share of several files (§3, 1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its name in the archive; untrusted, sanitise before use.
    pub name: String,
    /// Its plaintext bytes.
    pub size: u64,
}

/// The plaintext of the meta record (§3).
///
/// Serialized with the protocol's JSON keys: `kind`, `name`, `type`, `size`
/// and, for several files, `files`. Unknown keys are ignored when reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Text, file or files.
    pub kind: MetaKind,
    /// The file name; `""` for a text; the archive's name for files.
    pub name: String,
    /// The MIME type (JSON key `type`); [`TEXT_MIME`] for a text.
    #[serde(rename = "type")]
    pub mime: String,
    /// The plaintext length in bytes.
    pub size: u64,
    /// The files of the archive in archive order, for [`MetaKind::Files`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileEntry>,
}

impl Meta {
    /// The meta of a text of `size` UTF-8 bytes.
    pub fn text(size: u64) -> Self {
        Self {
            kind: MetaKind::Text,
            name: String::new(),
            mime: TEXT_MIME.to_owned(),
            size,
            files: Vec::new(),
        }
    }

    /// The meta of a file.
    pub fn file(name: impl Into<String>, mime: impl Into<String>, size: u64) -> Self {
        Self {
            kind: MetaKind::File,
            name: name.into(),
            mime: mime.into(),
            size,
            files: Vec::new(),
        }
    }

    /// The meta of a ZIP archive named `name` of `size` bytes holding `files`.
    pub fn files(name: impl Into<String>, size: u64, files: Vec<FileEntry>) -> Self {
        Self {
            kind: MetaKind::Files,
            name: name.into(),
            mime: ZIP_MIME.to_owned(),
            size,
            files,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_meta_uses_the_protocol_json() {
        let json = serde_json::to_string(&Meta::text(12)).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"text","name":"","type":"text/plain;charset=utf-8","size":12}"#
        );
    }

    #[test]
    fn files_meta_lists_the_files_in_order() {
        let meta = Meta::files(
            "share.zip",
            300,
            vec![
                FileEntry {
                    name: "a.txt".into(),
                    size: 1,
                },
                FileEntry {
                    name: "b/c.txt".into(),
                    size: 2,
                },
            ],
        );
        let json = serde_json::to_string(&meta).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"files","name":"share.zip","type":"application/zip","size":300,"files":[{"name":"a.txt","size":1},{"name":"b/c.txt","size":2}]}"#
        );
        assert_eq!(serde_json::from_str::<Meta>(&json).unwrap(), meta);
    }

    #[test]
    fn reader_ignores_unknown_keys_and_key_order() {
        let json = r#"{"size":3,"extra":[1,2],"type":"a/b","name":"n","kind":"file"}"#;
        assert_eq!(
            serde_json::from_str::<Meta>(json).unwrap(),
            Meta::file("n", "a/b", 3)
        );
    }
}
