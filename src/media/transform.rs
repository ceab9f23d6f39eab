//! On-the-fly image transforms: `?w=&h=&fit=&format=&q=`.
//!
//! A transform's result is stored beside the original under a key derived
//! from the asset and the normalised parameters, so each is computed once.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::model::FieldError;

/// Largest width or height a transform may ask for.
pub const MAX_SIDE: u32 = 4096;
/// Largest original a transform will decode, in bytes.
pub const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest original a transform will decode, in pixels per side.
const MAX_SOURCE_SIDE: u32 = 16_384;
/// Memory one decode may take: 48 megapixels as RGBA, 64 as RGB. With
/// transforms run one per core, this bounds what decoding holds; the resize
/// adds a buffer of the output's width by the source's height.
pub const MAX_DECODE_BYTES: u64 = 192 * 1024 * 1024;

/// Why a transform could not be made.
#[derive(Debug, PartialEq, Eq)]
pub enum TransformError {
    /// The bytes are not an image the decoder reads.
    NotImage(String),
    /// Decoding it would take more memory than a transform may.
    TooLarge(String),
}
const DEFAULT_QUALITY: u8 = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Fills the box exactly, cropping what sticks out.
    Cover,
    /// Fits inside the box, keeping the whole picture.
    Contain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Webp,
    Jpeg,
    Png,
}

impl Format {
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Webp => "image/webp",
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Webp => "webp",
            Format::Jpeg => "jpeg",
            Format::Png => "png",
        }
    }

    /// The output format for a source without `?format=`: its own when it
    /// is one of ours, PNG otherwise (GIF, BMP, …).
    fn of_source(mime: &str) -> Format {
        match mime {
            "image/webp" => Format::Webp,
            "image/jpeg" => Format::Jpeg,
            _ => Format::Png,
        }
    }
}

/// A requested transform, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transform {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub format: Option<Format>,
    pub quality: u8,
}

fn side(name: &str, value: &str) -> Result<u32, FieldError> {
    match value.parse::<u32>() {
        Ok(n) if (1..=MAX_SIDE).contains(&n) => Ok(n),
        _ => Err(FieldError::new(
            name,
            "range",
            format!("`{name}` must be a whole number of pixels from 1 to {MAX_SIDE}"),
        )),
    }
}

fn fit(value: &str) -> Result<Fit, FieldError> {
    match value {
        "cover" => Ok(Fit::Cover),
        "contain" => Ok(Fit::Contain),
        _ => Err(FieldError::new("fit", "values", "must be cover or contain")),
    }
}

fn format(value: &str) -> Result<Format, FieldError> {
    match value {
        "webp" => Ok(Format::Webp),
        "jpeg" | "jpg" => Ok(Format::Jpeg),
        "png" => Ok(Format::Png),
        _ => Err(FieldError::new(
            "format",
            "values",
            "must be webp, jpeg or png",
        )),
    }
}

fn quality(value: &str) -> Result<u8, FieldError> {
    match value.parse::<u8>() {
        Ok(q) if (1..=100).contains(&q) => Ok(q),
        _ => Err(FieldError::new(
            "q",
            "range",
            "must be a quality from 1 to 100",
        )),
    }
}

impl Transform {
    /// The transform a query string asks for, `None` for the original.
    pub fn parse(pairs: &[(String, String)]) -> Result<Option<Transform>, Vec<FieldError>> {
        let mut t = Transform {
            width: None,
            height: None,
            fit: Fit::Cover,
            format: None,
            quality: DEFAULT_QUALITY,
        };
        let mut any = false;
        let mut errors = Vec::new();
        for (k, v) in pairs {
            any = true;
            let result = match k.as_str() {
                "w" => side("w", v).map(|n| t.width = Some(n)),
                "h" => side("h", v).map(|n| t.height = Some(n)),
                "fit" => fit(v).map(|f| t.fit = f),
                "format" => format(v).map(|f| t.format = Some(f)),
                "q" => quality(v).map(|q| t.quality = q),
                other => Err(FieldError::new(
                    other,
                    "unknown",
                    format!("`{other}` is not a transform parameter (w, h, fit, format, q)"),
                )),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(any.then_some(t))
    }

    /// The output format for a source of type `mime`.
    pub fn output(&self, mime: &str) -> Format {
        self.format.unwrap_or_else(|| Format::of_source(mime))
    }

    /// Where the result for `asset_id` is kept: the same parameters always
    /// give the same key. Quality only matters to JPEG (WebP is lossless).
    pub fn key(&self, asset_id: &str, mime: &str) -> String {
        let format = self.output(mime);
        let side = |s: Option<u32>| s.map_or_else(|| "auto".to_string(), |n| n.to_string());
        let fit = match self.fit {
            Fit::Cover => "cover",
            Fit::Contain => "contain",
        };
        let quality = if format == Format::Jpeg {
            self.quality
        } else {
            0
        };
        format!(
            "derived/{asset_id}/{}x{}-{fit}-q{quality}.{}",
            side(self.width),
            side(self.height),
            format.name()
        )
    }

    /// The parameters in one fixed spelling, which signatures cover.
    pub fn canonical(&self) -> String {
        let side = |s: Option<u32>| s.map_or_else(|| "auto".to_string(), |n| n.to_string());
        let fit = match self.fit {
            Fit::Cover => "cover",
            Fit::Contain => "contain",
        };
        let format = self.format.map_or("auto", Format::name);
        format!(
            "w={}&h={}&fit={fit}&format={format}&q={}",
            side(self.width),
            side(self.height),
            self.quality
        )
    }

    /// Decodes `source`, resizes it and encodes the result.
    pub fn apply(&self, source: &[u8], mime: &str) -> Result<Vec<u8>, TransformError> {
        let image = decode(source)?;
        let (w, h) = (image.width(), image.height());
        // Never enlarge: a box bigger than the picture is the picture.
        let box_w = self.width.unwrap_or(w).min(w).max(1);
        let box_h = self.height.unwrap_or(h).min(h).max(1);
        let resized = match (self.fit, self.width, self.height) {
            (_, None, None) => image,
            (Fit::Cover, Some(_), Some(_)) => {
                image.resize_to_fill(box_w, box_h, FilterType::Lanczos3)
            }
            (_, Some(_), None) => image.resize(box_w, u32::MAX, FilterType::Lanczos3),
            (_, None, Some(_)) => image.resize(u32::MAX, box_h, FilterType::Lanczos3),
            (Fit::Contain, Some(_), Some(_)) => image.resize(box_w, box_h, FilterType::Lanczos3),
        };
        encode(&resized, self.output(mime), self.quality).map_err(TransformError::NotImage)
    }
}

fn decode(source: &[u8]) -> Result<DynamicImage, TransformError> {
    let not_image = |e: &image::ImageError| match e {
        image::ImageError::Limits(_) => TransformError::TooLarge(format!(
            "decoding this image would take more than {MAX_DECODE_BYTES} bytes; it is served as it is"
        )),
        _ => TransformError::NotImage(format!("the file cannot be read as an image: {e}")),
    };
    let mut reader = ImageReader::new(Cursor::new(source))
        .with_guessed_format()
        .map_err(|e| TransformError::NotImage(format!("the file cannot be read: {e}")))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| not_image(&e))?;
    // The limits above bound the decoder's own buffers; the picture it
    // decodes into is sized here, before anything is allocated.
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        let (w, h) = decoder.dimensions();
        return Err(TransformError::TooLarge(format!(
            "a {w}×{h} image takes more than {MAX_DECODE_BYTES} bytes to decode; it is served as it is, not transformed"
        )));
    }
    let orientation = decoder.orientation().map_err(|e| not_image(&e))?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| not_image(&e))?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn encode(image: &DynamicImage, format: Format, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let result = match format {
        Format::Jpeg => {
            // JPEG has no alpha channel.
            let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
            rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, quality))
        }
        Format::Png => image.write_with_encoder(PngEncoder::new(&mut out)),
        Format::Webp => {
            let rgba = DynamicImage::ImageRgba8(image.to_rgba8());
            rgba.write_with_encoder(WebPEncoder::new_lossless(&mut out))
        }
    };
    result.map_err(|e| format!("the image cannot be encoded: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }

    #[test]
    fn parameters_are_bounded_and_named() {
        assert_eq!(Transform::parse(&pairs("")), Ok(None));
        let t = Transform::parse(&pairs("w=200&fit=contain&format=webp"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (t.width, t.fit, t.format),
            (Some(200), Fit::Contain, Some(Format::Webp))
        );
        let errors = Transform::parse(&pairs("w=0&h=99999&q=101&fit=fill&x=1")).unwrap_err();
        let named: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["w", "h", "q", "fit", "x"]);
    }

    #[test]
    fn keys_follow_parameters() {
        let a = Transform::parse(&pairs("w=10&h=10")).unwrap().unwrap();
        let b = Transform::parse(&pairs("h=10&w=10&q=80")).unwrap().unwrap();
        assert_eq!(a.key("x", "image/png"), b.key("x", "image/png"));
        assert_ne!(a.key("x", "image/jpeg"), a.key("x", "image/png"));
    }

    #[test]
    fn resizes_and_converts() {
        let img = DynamicImage::new_rgb8(40, 20);
        let png = encode(&img, Format::Png, 80).unwrap();
        let t = Transform::parse(&pairs("w=10&h=10&format=jpeg"))
            .unwrap()
            .unwrap();
        let out = decode(&t.apply(&png, "image/png").unwrap()).unwrap();
        assert_eq!((out.width(), out.height()), (10, 10));
        let t = Transform::parse(&pairs("w=10&fit=contain"))
            .unwrap()
            .unwrap();
        let out = decode(&t.apply(&png, "image/png").unwrap()).unwrap();
        assert_eq!((out.width(), out.height()), (10, 5));
        assert!(t.apply(b"not an image", "image/png").is_err());
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A PNG whose header claims `side`×`side` RGBA pixels (a few bytes on
    /// disk, a gigabyte once decoded).
    fn claimed_png(side: u32) -> Vec<u8> {
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            out.extend((data.len() as u32).to_be_bytes());
            let mut body = kind.to_vec();
            body.extend(data);
            out.extend(&body);
            out.extend(crc32(&body).to_be_bytes());
        };
        let mut ihdr = side.to_be_bytes().to_vec();
        ihdr.extend(side.to_be_bytes());
        ihdr.extend([8, 6, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        chunk(b"IEND", &[]);
        out
    }

    #[test]
    fn decoding_is_refused_before_it_outgrows_its_budget() {
        let t = Transform::parse(&pairs("w=10")).unwrap().unwrap();
        let refused = t.apply(&claimed_png(16_384), "image/png").unwrap_err();
        assert!(
            matches!(refused, TransformError::TooLarge(_)),
            "{refused:?}"
        );
        // Under the budget the same header gets as far as its (missing) pixels.
        let small = t.apply(&claimed_png(64), "image/png").unwrap_err();
        assert!(matches!(small, TransformError::NotImage(_)), "{small:?}");
    }
}
