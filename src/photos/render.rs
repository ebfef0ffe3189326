//! A photo as the registry serves it: decoded within limits, turned upright as the camera meant
//! (EXIF orientation), flattened onto white and re-encoded as JPEG at a few widths. Nothing of
//! the upload survives but its pixels — no EXIF (a phone's GPS position, its serial number), no
//! ICC profile, no comment — because the encoder writes none.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

/// The widths served, in pixels: a search result's thumbnail, the phone page, a wide screen.
/// A photo narrower than one is kept at its own width (never enlarged).
pub const WIDTHS: [u32; 3] = [320, 640, 1280];

/// The longest side accepted, in pixels (a 100-megapixel camera is 12,000 wide).
const MAX_SIDE: u32 = 12_000;
/// The most memory one decoding may take: far above a phone's 50-megapixel photo, far below
/// what a crafted file announcing 60,000 × 60,000 pixels would ask.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// The most pixels decoded (a 64-megapixel camera's full photo): a file of a few hundred bytes
/// may announce 12,000 × 12,000, and decoders fill what the header announces.
const MAX_PIXELS: u64 = 64_000_000;
/// JPEG quality of the renditions.
const QUALITY: u8 = 82;

/// Why an upload is not a usable photo.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Neither JPEG nor PNG by its content.
    NotAPhoto,
    /// Larger than [`MAX_SIDE`] or than the decoding memory allows.
    TooLarge,
    /// A JPEG or PNG that does not decode.
    Damaged,
}

/// Why an upload is refused, in the reader's words.
pub fn refusal(r: Refused) -> crate::i18n::Msg {
    match r {
        Refused::NotAPhoto => crate::msg!("photo-not-a-photo"),
        Refused::TooLarge => crate::msg!("photo-too-large"),
        Refused::Damaged => crate::msg!("photo-damaged"),
    }
}

/// The renditions of one photo.
#[derive(Debug)]
pub struct Renditions {
    /// `(width, JPEG bytes)`, one per [`WIDTHS`], narrowest first.
    pub files: Vec<(u32, Vec<u8>)>,
    /// The size of the largest rendition.
    pub width: u32,
    pub height: u32,
}

/// Photos this process decodes at once: each takes a core and up to [`MAX_ALLOC`] of memory,
/// whoever sent it (a public report's photo too, which holds no upload slot while its body
/// arrives).
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// Decodings of the public's photos (a report's): one at a time per process, and never queued.
static PUBLIC: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Whose photo is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// A signed-in person's: waits its turn.
    SignedIn,
    /// The public's: decoded only if no other public photo is, or refused at once (503). An
    /// anonymous crowd queueing decodings would each hold its photo in memory, and the
    /// signed-in would wait behind them.
    Public,
}

/// [`renditions`] off the async workers, two at a time per process.
pub async fn render(
    bytes: Vec<u8>,
    sender: Sender,
) -> crate::error::AppResult<Result<Renditions, Refused>> {
    use crate::error::AppError;
    let _public = match sender {
        Sender::Public => Some(
            PUBLIC
                .try_acquire()
                .map_err(|_| AppError::Unavailable(crate::msg!("photo-busy")))?,
        ),
        Sender::SignedIn => None,
    };
    let _turn = DECODING
        .acquire()
        .await
        .map_err(|e| AppError::Internal(format!("photo decoding: {e}")))?;
    tokio::task::spawn_blocking(move || renditions(&bytes))
        .await
        .map_err(|e| AppError::Internal(format!("photo rendering: {e}")))
}

/// Decodes `bytes` (JPEG or PNG, by content) and renders every width. CPU-bound: call it off
/// the async workers.
pub fn renditions(bytes: &[u8]) -> Result<Renditions, Refused> {
    let format = image::guess_format(bytes).map_err(|_| Refused::NotAPhoto)?;
    if !matches!(format, image::ImageFormat::Jpeg | image::ImageFormat::Png) {
        return Err(Refused::NotAPhoto);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refused)?;
    // What the header announces is checked before anything is decoded (`from_decoder` reserves
    // no memory against the limits itself).
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS || decoder.total_bytes() > MAX_ALLOC {
        return Err(Refused::TooLarge);
    }
    // A photo the phone took sideways is stored sideways with a tag saying so; the tag goes,
    // so the pixels must turn.
    let orientation = decoder.orientation().map_err(refused)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(refused)?;
    img.apply_orientation(orientation);
    // Widest first, each from the one before: a large photo is scaled at full size once.
    let mut scaled = on_white(&img);
    drop(img);
    let (width, height) = fit(scaled.dimensions(), WIDTHS[WIDTHS.len() - 1]);
    let mut files = Vec::with_capacity(WIDTHS.len());
    for w in WIDTHS.into_iter().rev() {
        let (fw, fh) = fit(scaled.dimensions(), w);
        if (fw, fh) != scaled.dimensions() {
            scaled = image::imageops::resize(&scaled, fw, fh, FilterType::CatmullRom);
        }
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, QUALITY)
            .encode_image(&scaled)
            .map_err(|_| Refused::Damaged)?;
        files.push((w, out));
    }
    files.reverse();
    Ok(Renditions {
        files,
        width,
        height,
    })
}

/// `(w, h)` scaled to at most `width` wide, keeping its proportions (never enlarged).
fn fit((w, h): (u32, u32), width: u32) -> (u32, u32) {
    if w <= width {
        return (w, h);
    }
    let h = (u64::from(h) * u64::from(width) / u64::from(w)).max(1) as u32;
    (width, h)
}

/// The picture as opaque RGB: a transparent PNG's background is white, as on the page.
fn on_white(img: &DynamicImage) -> RgbImage {
    if !img.color().has_alpha() {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn refused(e: image::ImageError) -> Refused {
    match e {
        image::ImageError::Limits(_) => Refused::TooLarge,
        _ => Refused::Damaged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, rgba: [u8; 4]) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba(rgba));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn every_width_is_rendered_never_enlarged() {
        let r = renditions(&png(2000, 1000, [200, 30, 30, 255])).unwrap();
        let sizes: Vec<(u32, u32)> = r
            .files
            .iter()
            .map(|(_, b)| image::load_from_memory(b).unwrap())
            .map(|i| (i.width(), i.height()))
            .collect();
        assert_eq!(sizes, [(320, 160), (640, 320), (1280, 640)]);
        assert_eq!((r.width, r.height), (1280, 640));
        let small = renditions(&png(500, 400, [0, 0, 0, 255])).unwrap();
        assert_eq!((small.width, small.height), (500, 400));
    }

    #[test]
    fn transparency_becomes_white_and_what_is_not_a_photo_is_refused() {
        let r = renditions(&png(10, 10, [0, 0, 0, 0])).unwrap();
        let px = image::load_from_memory(&r.files[0].1).unwrap().to_rgb8();
        assert!(
            px.get_pixel(5, 5).0.iter().all(|c| *c > 245),
            "{:?}",
            px.get_pixel(5, 5)
        );
        assert_eq!(renditions(b"%PDF-1.7\n").unwrap_err(), Refused::NotAPhoto);
        let mut cut = png(50, 50, [1, 2, 3, 255]);
        cut.truncate(60);
        assert_eq!(renditions(&cut).unwrap_err(), Refused::Damaged);
    }

    /// The PNG chunk checksum (ISO 3309), so the forged header reads as well formed.
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

    #[test]
    fn a_tiny_jpeg_announcing_a_huge_picture_is_refused_before_it_is_decoded() {
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::from_pixel(1, 1, image::Rgb([200, 0, 0])))
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        // The frame header's height and width, edited to 12,000 × 12,000 (144 megapixels).
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        jpeg[sof + 5..sof + 9].copy_from_slice(&[0x2E, 0xE0, 0x2E, 0xE0]);
        assert_eq!(renditions(&jpeg).unwrap_err(), Refused::TooLarge);
    }

    #[test]
    fn a_file_announcing_a_huge_picture_is_refused_before_it_is_decoded() {
        // A PNG header claiming 20,000 × 20,000 pixels (its data would take 1.6 GB).
        let mut bomb = png(1, 1, [0, 0, 0, 255]);
        bomb[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(renditions(&bomb).unwrap_err(), Refused::TooLarge);
    }

    #[tokio::test]
    async fn a_public_photo_is_refused_at_once_while_another_is_decoded() {
        let photo = png(40, 20, [10, 120, 40, 255]);
        // Another report's photo being decoded.
        let busy = PUBLIC.try_acquire().unwrap();
        let refused = render(photo.clone(), Sender::Public).await;
        assert!(
            matches!(refused, Err(crate::error::AppError::Unavailable(_))),
            "{refused:?}"
        );
        // The signed-in do not depend on the public's turn.
        assert!(matches!(
            render(photo.clone(), Sender::SignedIn).await,
            Ok(Ok(_))
        ));
        drop(busy);
        assert!(matches!(render(photo, Sender::Public).await, Ok(Ok(_))));
    }
}
