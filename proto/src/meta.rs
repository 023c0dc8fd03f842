//! The plaintext of the sealed meta record (protocol §3): what a share is,
//! its name, MIME type and plaintext size. Sealing and opening it is the
//! crypto crate's; this is only its JSON shape.

use serde::{Deserialize, Serialize};

use crate::sizes::{META_MAX_SEALED_SIZE, TAG_SIZE};

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

    /// [`Meta::files`] with as many of `files`, from the first on, as fit in
    /// sealed meta of at most [`META_MAX_SEALED_SIZE`] bytes: every client
    /// cuts a long list this way instead of failing, and the archive itself
    /// still holds every file. Returns the meta and how many entries were
    /// left out.
    pub fn files_fitting(
        name: impl Into<String>,
        size: u64,
        files: Vec<FileEntry>,
    ) -> (Self, usize) {
        let mut meta = Self::files(name, size, Vec::new());
        // `,"files":[]` joins the JSON once the list has an entry.
        let mut len = json_len(&meta) + r#","files":[]"#.len();
        let budget = META_MAX_SEALED_SIZE - TAG_SIZE;
        let total = files.len();
        for (i, entry) in files.into_iter().enumerate() {
            let add = json_len(&entry) + usize::from(i > 0);
            if len + add > budget {
                break;
            }
            len += add;
            meta.files.push(entry);
        }
        let left_out = total - meta.files.len();
        (meta, left_out)
    }
}

/// Bytes of `value` as compact JSON (what the meta record seals).
fn json_len(value: &impl Serialize) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX / 2, |json| json.len())
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

    fn entries(n: usize) -> Vec<FileEntry> {
        (0..n)
            .map(|i| FileEntry {
                name: format!("folder/file número {i}.txt"),
                size: i as u64 * 1000,
            })
            .collect()
    }

    #[test]
    fn a_short_file_list_is_kept_whole() {
        let (meta, left_out) = Meta::files_fitting("share.zip", 9, entries(3));
        assert_eq!(left_out, 0);
        assert_eq!(meta.files, entries(3));
    }

    #[test]
    fn a_long_file_list_is_cut_to_fit_the_sealed_meta() {
        let (meta, left_out) = Meta::files_fitting("share.zip", 9, entries(500));
        assert!(left_out > 0);
        assert_eq!(meta.files.len() + left_out, 500);
        assert_eq!(meta.files[..], entries(500)[..meta.files.len()]);
        let sealed = serde_json::to_vec(&meta).unwrap().len() + TAG_SIZE;
        assert!(sealed <= META_MAX_SEALED_SIZE, "{sealed}");
        // One more entry would not have fitted.
        let mut more = meta.clone();
        more.files.push(entries(500)[meta.files.len()].clone());
        assert!(serde_json::to_vec(&more).unwrap().len() + TAG_SIZE > META_MAX_SEALED_SIZE);
    }

    #[test]
    fn an_entry_too_long_for_the_meta_is_left_out_with_all_after_it() {
        let mut files = entries(2);
        files.insert(
            1,
            FileEntry {
                name: "x".repeat(5000),
                size: 1,
            },
        );
        let (meta, left_out) = Meta::files_fitting("share.zip", 9, files);
        assert_eq!(meta.files, entries(1));
        assert_eq!(left_out, 2);
    }
}
