//! What the sender shares, read in slices: a file is never read whole.

use js_sys::Uint8Array;
use wasm_bindgen_futures::JsFuture;

use super::dom::js_text;
use crate::failure::BrowserError;

/// The plaintext of a share.
pub enum Source {
    /// A text typed in the page; small enough to hold.
    Text(Vec<u8>),
    /// A file on the sender's disk, read slice by slice.
    File(web_sys::File),
}

impl Source {
    /// Plaintext bytes.
    pub fn size(&self) -> u64 {
        match self {
            Source::Text(bytes) => bytes.len() as u64,
            Source::File(file) => file.size() as u64,
        }
    }

    /// Bytes `[start, end)`, read through a Blob slice for files.
    pub async fn read(&self, start: u64, end: u64) -> Result<Vec<u8>, BrowserError> {
        match self {
            Source::Text(bytes) => Ok(bytes[start as usize..end as usize].to_vec()),
            Source::File(file) => {
                let slice = file
                    .slice_with_f64_and_f64(start as f64, end as f64)
                    .map_err(|e| BrowserError::FileUnreadable(js_text(e)))?;
                let buffer = JsFuture::from(slice.array_buffer())
                    .await
                    .map_err(|e| BrowserError::FileUnreadable(js_text(e)))?;
                let bytes = Uint8Array::new(&buffer);
                if bytes.length() as u64 != end - start {
                    return Err(BrowserError::FileChanged);
                }
                Ok(bytes.to_vec())
            }
        }
    }
}
