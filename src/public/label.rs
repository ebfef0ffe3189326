//! A product's print-ready label: the QR code of its public page (error correction M, so a
//! scuffed package still scans), "OCOP" and its stars, the last day its rating is in force and
//! the page's address, on a square of 2 to 5 cm. One drawing, two files: the SVG as drawn, and a
//! PDF made from it (svg2pdf) with the one font the label uses embedded, so it prints the same on
//! any machine.

use std::sync::{Arc, LazyLock};

use qrcode::{Color, EcLevel, QrCode};
use svg2pdf::usvg;

use super::product::PublicProductPage;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::products::dto::RecognitionStatus;

/// Smallest and largest label sides (mm): 2 × 2 cm to 5 × 5 cm.
pub const SIZES_MM: std::ops::RangeInclusive<u32> = 20..=50;
/// The side when none is asked for (mm).
pub const DEFAULT_MM: u32 = 30;

/// The label's one font (DejaVu Sans Condensed Bold: every Vietnamese letter, the star glyphs,
/// narrow enough for a long address; its licence in `assets/fonts`).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansCondensed-Bold.ttf");
const FONT_FAMILY: &str = "DejaVu Sans";

/// The label of `page`, whose public address is `url`, `size_mm` on a side. Only a rating in
/// force gets one: a label for an expired or revoked rating is what the programme's monitoring
/// looks for on shelves.
pub fn svg(page: &PublicProductPage, url: &str, size_mm: u32, lang: Lang) -> AppResult<String> {
    if !SIZES_MM.contains(&size_mm) {
        return Err(AppError::invalid(
            "size",
            crate::msg!(
                "field-must-be-between-N-and-N",
                n1 = SIZES_MM.start(),
                n2 = SIZES_MM.end()
            ),
        ));
    }
    let p = &page.product;
    if p.status != RecognitionStatus::Active {
        return Err(AppError::Conflict(crate::msg!("print-label-not-in-force")));
    }
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::Internal(format!("QR: {e}")))?;
    // The drawing is 100 units a side. The code with its quiet zone of four modules (ISO/IEC
    // 18004) takes the top 66 units, the three lines of text the rest. Below 3 cm the address
    // would print under 1 mm high, unreadable: it goes, and the code takes its room.
    let small = size_mm < 30;
    let side = if small { 74.0 } else { 66.0 };
    let width = code.width();
    let modules = width + 8;
    let unit = side / modules as f64;
    let left = (100.0 - side) / 2.0;
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = ((i % width + 4) as f64, (i / width + 4) as f64);
            path.push_str(&format!(
                "M{:.3} {:.3}h{u:.3}v{u:.3}h-{u:.3}z",
                left + x * unit,
                2.0 + y * unit,
                u = unit
            ));
        }
    }
    let stars = usize::try_from(p.stars).unwrap_or(0).min(5);
    let last_day = p.valid_until.pred_opt().unwrap_or(p.valid_until);
    let validity = lang.tf("print-label-valid-until", &[("date", lang.date(last_day))]);
    let address = url
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let text = |y: f64, size: f64, fit: Option<f64>, s: &str| {
        let fit = fit
            .map(|w| format!(r#" textLength="{w}" lengthAdjust="spacingAndGlyphs""#))
            .unwrap_or_default();
        format!(
            r#"<text x="50" y="{y}" font-size="{size}" text-anchor="middle"{fit}>{}</text>"#,
            escape(s)
        )
    };
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{mm}mm" height="{mm}mm" viewBox="0 0 100 100">"#,
            r#"<title>{title}</title>"#,
            r##"<rect width="100" height="100" fill="#fff"/>"##,
            r##"<path d="{path}" fill="#000"/>"##,
            r##"<g font-family="{family}, sans-serif" font-weight="bold" font-stretch="condensed" fill="#000">"##,
            "{ocop}{valid}{address}</g></svg>"
        ),
        mm = size_mm,
        title = escape(&p.name),
        path = path,
        family = FONT_FAMILY,
        ocop = text(
            side + 13.0,
            11.0,
            None,
            &format!("OCOP {}", "★".repeat(stars))
        ),
        valid = text(side + 23.0, 7.5, Some(92.0).filter(|_| small), &validity),
        address = if small {
            String::new()
        } else {
            text(97.0, 4.6, (address.len() > 40).then_some(94.0), address)
        },
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The fonts the PDF may use: the label's own, read once.
static FONTS: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut db = usvg::fontdb::Database::new();
    db.load_font_data(FONT.to_vec());
    Arc::new(db)
});

/// The PDF of a label drawn by [`svg`]: one page of the label's size, its text in the embedded
/// font.
pub fn pdf(svg: &str) -> AppResult<Vec<u8>> {
    let options = usvg::Options {
        fontdb: FONTS.clone(),
        font_family: FONT_FAMILY.to_owned(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| AppError::Internal(format!("label SVG: {e}")))?;
    // The page is the label's size: the PDF counts the drawing's pixels at the density usvg
    // read its millimetres with.
    let page = svg2pdf::PageOptions { dpi: options.dpi };
    svg2pdf::to_pdf(&tree, svg2pdf::ConversionOptions::default(), page)
        .map_err(|e| AppError::Internal(format!("label PDF: {e}")))
}
