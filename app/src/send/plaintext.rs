//! The plaintext of a share as the encryptor takes it: chunk by chunk, in
//! order, never whole. A text is one chunk; a file is read in Blob slices;
//! several files become a ZIP archive written as their slices are read
//! ([`super::archive`]). The size is known before the first chunk, as the
//! create request needs it.

use web_sys::{Blob, File};

use super::archive::{ArchiveWriter, Entry, Layout};
use super::SendError;
use crate::browser::crypt::bytes_blob;
use crate::browser::dom::js_text;
use crate::browser::files::read_slice;
use crate::failure::BrowserError;

/// Plaintext bytes produced per step: large enough to keep the cipher
/// busy, small enough that the page stays responsive between steps.
pub(super) const STEP_BYTES: u64 = 4 * 1024 * 1024;

/// Where the plaintext comes from.
pub(super) enum Plaintext {
    /// A text, handed over in one chunk.
    Text(Option<Vec<u8>>, u64),
    /// One file, read slice by slice.
    File {
        /// The file.
        file: File,
        /// Its bytes.
        size: u64,
        /// Bytes produced so far.
        at: u64,
    },
    /// Several files, as one ZIP archive.
    Archive(Box<ArchiveStream>),
}

impl Plaintext {
    /// A text.
    pub fn text(bytes: Vec<u8>) -> Self {
        let size = bytes.len() as u64;
        Plaintext::Text(Some(bytes), size)
    }

    /// One file, as it is.
    pub fn file(file: File) -> Self {
        let size = file.size() as u64;
        Plaintext::File { file, size, at: 0 }
    }

    /// The ZIP archive of `files` (each with its archive entry), laid out
    /// as `layout` says.
    pub fn archive(files: Vec<(Entry, File)>, layout: Layout) -> Self {
        let size = layout.size();
        Plaintext::Archive(Box::new(ArchiveStream {
            files,
            writer: ArchiveWriter::new(layout),
            size,
            next: 0,
            at: None,
            finished: false,
        }))
    }

    /// Plaintext bytes in all.
    pub fn size(&self) -> u64 {
        match self {
            Plaintext::Text(_, size) | Plaintext::File { size, .. } => *size,
            Plaintext::Archive(archive) => archive.size,
        }
    }

    /// The next chunk (at most about [`STEP_BYTES`]), or `None` at the end.
    pub async fn next(&mut self) -> Result<Option<Vec<u8>>, SendError> {
        match self {
            Plaintext::Text(bytes, _) => Ok(bytes.take()),
            Plaintext::File { file, size, at } => {
                if *at >= *size {
                    return Ok(None);
                }
                let end = (*at + STEP_BYTES).min(*size);
                let bytes = read_slice(file, *at, end).await?;
                *at = end;
                Ok(Some(bytes))
            }
            Plaintext::Archive(archive) => archive.next().await,
        }
    }

    /// Every chunk together: only for payloads small enough to go inline.
    pub async fn read_all(&mut self) -> Result<Vec<u8>, SendError> {
        let mut all = Vec::with_capacity(self.size() as usize);
        while let Some(chunk) = self.next().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }
}

/// Several files becoming one ZIP archive, a slice at a time.
pub(super) struct ArchiveStream {
    files: Vec<(Entry, File)>,
    writer: ArchiveWriter,
    size: u64,
    /// The file being read.
    next: usize,
    /// Bytes of it read so far, once its entry is started.
    at: Option<u64>,
    finished: bool,
}

impl ArchiveStream {
    /// Archive bytes until about [`STEP_BYTES`] are ready (several small
    /// files go into one chunk), or the archive ends.
    async fn next(&mut self) -> Result<Option<Vec<u8>>, SendError> {
        if self.finished {
            return Ok(None);
        }
        while (self.writer.pending() as u64) < STEP_BYTES {
            let Some((entry, file)) = self.files.get(self.next) else {
                self.writer.finish()?;
                self.finished = true;
                break;
            };
            let at = match self.at {
                Some(at) => at,
                None => {
                    self.writer.start(entry)?;
                    0
                }
            };
            let end = (at + STEP_BYTES - self.writer.pending() as u64).min(entry.size);
            if at < end {
                let bytes = read_slice(file, at, end).await?;
                self.writer.write(&bytes)?;
            }
            if end >= entry.size {
                self.next += 1;
                self.at = None;
            } else {
                self.at = Some(end);
            }
        }
        Ok(Some(self.writer.take()))
    }
}

/// Plaintext ranges for the workers that seal them, asked for in order: a
/// file is sliced where it lies (the page reads none of it); a text or an
/// archive is made in order, and only what the next range needs is kept.
pub(super) enum Ranges {
    /// One file.
    File(File),
    /// A text or an archive, made chunk by chunk.
    Made {
        /// Where the bytes come from.
        plaintext: Plaintext,
        /// Bytes made and still needed, from `base` on.
        window: Vec<u8>,
        /// The offset of `window[0]` in the plaintext.
        base: u64,
    },
}

impl Ranges {
    /// The ranges of `plaintext`.
    pub fn new(plaintext: Plaintext) -> Self {
        match plaintext {
            Plaintext::File { file, .. } => Ranges::File(file),
            plaintext => Ranges::Made {
                plaintext,
                window: Vec::new(),
                base: 0,
            },
        }
    }

    /// Plaintext bytes `[start, end)` as a Blob. Ranges come in order of
    /// `start` (they may overlap): bytes before `start` are gone after this.
    pub async fn range(&mut self, start: u64, end: u64) -> Result<Blob, SendError> {
        match self {
            Ranges::File(file) => Ok(file
                .slice_with_f64_and_f64(start as f64, end as f64)
                .map_err(|e| BrowserError::FileUnreadable(js_text(e)))?),
            Ranges::Made {
                plaintext,
                window,
                base,
            } => {
                let gone = (start.saturating_sub(*base) as usize).min(window.len());
                window.drain(..gone);
                *base += gone as u64;
                while *base + (window.len() as u64) < end {
                    match plaintext.next().await? {
                        Some(chunk) => window.extend_from_slice(&chunk),
                        None => break,
                    }
                }
                let from = (start - *base) as usize;
                let to = (end - *base) as usize;
                let bytes = window.get(from..to).ok_or(SendError::SizeMismatch)?;
                Ok(bytes_blob(bytes)?)
            }
        }
    }
}
