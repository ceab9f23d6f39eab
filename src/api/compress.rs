//! Compression by `Accept-Encoding`: brotli, then gzip. Callers keep what
//! they compress, so each body is compressed at most once per encoding.

use std::io::Write;

use bytes::Bytes;
use poem::Request;
use poem::http::header;

/// Bodies shorter than this go out as they are: compression would save
/// less than the headers it adds.
pub const MIN_COMPRESS: usize = 1024;

/// The encodings a client takes, best first: brotli, then gzip.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Br,
}

pub fn negotiate(req: &Request) -> Encoding {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|h| h.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let (mut gzip, mut br) = (false, false);
    for part in accept.split(',') {
        let mut it = part.split(';');
        let name = it.next().unwrap_or_default().trim();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        match name {
            "br" => br = true,
            "gzip" | "x-gzip" => gzip = true,
            "*" => (gzip, br) = (true, true),
            _ => {}
        }
    }
    match (br, gzip) {
        (true, _) => Encoding::Br,
        (false, true) => Encoding::Gzip,
        _ => Encoding::Identity,
    }
}

pub fn gzip(body: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(body);
    exact(enc.finish().unwrap_or_default())
}

pub fn brotli(body: &[u8]) -> Bytes {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 5,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(body.len() / 4);
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    exact(out)
}

/// `bytes` in an allocation of its own length. A cached answer lives long,
/// and a `Vec` grown by doubling keeps up to as much again unused (10,000
/// cached entries held ~50 MiB for ~30 MiB of bodies).
pub fn exact(bytes: Vec<u8>) -> Bytes {
    Bytes::from(bytes.into_boxed_slice())
}
