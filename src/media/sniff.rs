//! What an upload is, read from its first bytes rather than from what the
//! client claims.

/// Bytes kept from the start of an upload for sniffing and dimensions.
/// JPEG dimensions may sit after a large EXIF block, hence more than a page.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The MIME type of a file starting with `head`.
pub fn mime_type(head: &[u8]) -> &'static str {
    // SVG first: with an XML prolog the sniffer below calls it text/xml.
    let start = &head[..head.len().min(4096)];
    let text = String::from_utf8_lossy(start).to_ascii_lowercase();
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') && text.contains("<svg") {
        return "image/svg+xml";
    }
    if let Some(t) = infer::get(head) {
        return t.mime_type();
    }
    if is_text(head) {
        return "text/plain";
    }
    "application/octet-stream"
}

/// UTF-8 without NUL bytes; a character cut off at the end of `head` is fine.
fn is_text(head: &[u8]) -> bool {
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    utf8 && !head.contains(&0)
}

/// Types a browser could run as script in Quire's origin: served as
/// attachments under a sandboxing policy, never inline.
pub fn is_active(mime: &str) -> bool {
    matches!(
        mime,
        "text/html" | "image/svg+xml" | "text/xml" | "application/xml" | "application/xhtml+xml"
    )
}

/// Width and height of an image, read from its header.
pub fn dimensions(head: &[u8], mime: &str) -> Option<(u32, u32)> {
    if !mime.starts_with("image/") || mime == "image/svg+xml" {
        return None;
    }
    let size = imagesize::blob_size(head).ok()?;
    Some((
        u32::try_from(size.width).ok()?,
        u32::try_from(size.height).ok()?,
    ))
}

/// Does `mime` satisfy one of `accept` (`image/*`, `application/pdf`, …)?
pub fn accepts(accept: &[String], mime: &str) -> bool {
    accept.iter().any(|a| match a.strip_suffix("/*") {
        Some(family) => mime.split('/').next() == Some(family),
        None => a == mime || a == "*/*",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_1X1: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 3, 0, 0, 0, 2, 8, 6, 0, 0, 0,
    ];

    #[test]
    fn sniffs_from_bytes() {
        assert_eq!(mime_type(PNG_1X1), "image/png");
        assert_eq!(dimensions(PNG_1X1, "image/png"), Some((3, 2)));
        assert_eq!(mime_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(
            mime_type(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "image/svg+xml"
        );
        assert_eq!(mime_type(b"  <svg onload=alert(1)>"), "image/svg+xml");
        assert_eq!(mime_type(b"<!doctype html><html>"), "text/html");
        assert_eq!(mime_type(b"hello"), "text/plain");
        assert_eq!(mime_type(&[0, 1, 2, 3, 0xff]), "application/octet-stream");
    }

    #[test]
    fn accept_lists_match_families() {
        let images = vec!["image/*".to_string()];
        assert!(accepts(&images, "image/png"));
        assert!(!accepts(&images, "application/pdf"));
        assert!(accepts(&["application/pdf".to_string()], "application/pdf"));
    }
}
