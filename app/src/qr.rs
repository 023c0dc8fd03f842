//! QR codes of share links, drawn locally as one SVG path (no image
//! service ever sees the link).

use qrcodegen::{QrCode, QrCodeEcc};

/// Quiet-zone modules around the code, as the QR standard asks.
pub const QUIET_ZONE: i32 = 4;

/// A QR code ready to draw: its side in modules (with the quiet zone) and
/// the `d` of a path that fills the dark modules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrSvg {
    /// Width and height of the view box, in modules.
    pub side: i32,
    /// Path data: one unit square per dark module.
    pub path: String,
}

/// Encodes `text` at medium error correction; `None` when it is too long
/// for any QR version.
pub fn qr_svg(text: &str) -> Option<QrSvg> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = code.size();
    let mut path = String::with_capacity((size * size * 6) as usize);
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            // Merge a horizontal run of dark modules into one rectangle.
            let start = x;
            while x < size && code.get_module(x, y) {
                x += 1;
            }
            path.push_str(&format!(
                "M{},{}h{}v1h-{}z",
                start + QUIET_ZONE,
                y + QUIET_ZONE,
                x - start,
                x - start
            ));
        }
    }
    Some(QrSvg {
        side: size + 2 * QUIET_ZONE,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_svg_draws_a_share_link() {
        let link = "https://ots.example/s/AAAAAAAAAAAAAAAAAAAAAA#BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
        let svg = qr_svg(link).expect("a link fits");
        assert!(svg.side > 2 * QUIET_ZONE);
        assert!(svg.path.starts_with('M'));
        // Finder pattern: the top-left corner module is dark.
        assert!(svg
            .path
            .starts_with(&format!("M{QUIET_ZONE},{QUIET_ZONE}h7")));
    }

    #[test]
    fn qr_svg_refuses_text_too_long() {
        assert!(qr_svg(&"x".repeat(10_000)).is_none());
    }
}
