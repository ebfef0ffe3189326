//! The indicator report and the explained subjects as spreadsheets (the same sheets for the
//! API's `format=csv|xlsx` and the pages' "Xuất Excel").

use std::collections::HashMap;

use uuid::Uuid;

use super::dto::{Figure, FrozenReport, Gap, IndicatorKey, Report, ReportUnit, SubjectExplanation};
use super::notes::Note;
use crate::export::{Cell, Column, Sheet, col, file_name};
use crate::i18n::Lang;
use crate::subjects::dto::SubjectView;

/// Who made a report's figures and when: the freeze of a filed report, or the request of a
/// live one.
pub struct Made {
    pub by: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub frozen: bool,
}

/// The report: the unit's row, then one row per child; in a workbook under its title block.
/// Levels and verdicts in the reader's words, shares as percentages, the unit's internal id
/// last (for scripts joining it to the API).
pub fn report_sheet(report: &Report, lang: Lang, made: &Made) -> Sheet {
    let mut columns = vec![
        col("Mã đơn vị", "unit_code"),
        col("Đơn vị hành chính", "unit_name"),
        col("Cấp", "level"),
        col("Ngày số liệu", "as_of"),
        col("Phiên bản chính sách", "policy_version"),
        col("Số chủ thể OCOP", "population"),
    ];
    columns.extend(figure_columns());
    columns.push(col("Mã định danh đơn vị", "unit_id"));
    let words = lang == Lang::Vi;
    let row = |unit: &ReportUnit, population: i64, figures: &[Figure]| {
        let mut r: Vec<Cell> = vec![
            unit.code.as_str().into(),
            unit.name.as_str().into(),
            if words {
                lang.t_or(&format!("level-{}", unit.level), unit.level.code())
                    .into()
            } else {
                unit.level.code().into()
            },
            report.as_of.into(),
            i64::from(report.policy.version).into(),
            population.into(),
        ];
        for f in figures {
            r.extend([
                f.numerator.into(),
                f.denominator.into(),
                f.share.clone().map_or(Cell::Empty, Cell::Percent),
                Cell::Percent(f.target.clone()),
                match (f.met, words) {
                    (None, _) => Cell::Empty,
                    (Some(m), true) => lang.t(if m { "met" } else { "not-met" }).into(),
                    (Some(m), false) => Cell::Bool(m),
                },
                f.gap.into(),
            ]);
        }
        r.push(unit.id.to_string().into());
        r
    };
    let mut rows = vec![row(&report.unit, report.population, &report.indicators)];
    rows.extend(
        report
            .children
            .iter()
            .map(|c| row(&c.unit, c.population, &c.indicators)),
    );
    let moment = |at: chrono::DateTime<chrono::Utc>| {
        let local = at + chrono::Duration::hours(7);
        format!(
            "{} {}",
            local.format("%H:%M"),
            lang.date(local.date_naive())
        )
    };
    let preamble = vec![
        lang.t("sheet-report-title"),
        lang.tf("sheet-report-unit", &[("unit", report.unit.name.clone())]),
        lang.tf(
            "sheet-report-date",
            &[
                ("date", lang.date(report.as_of)),
                ("policy", report.policy.version.to_string()),
            ],
        ),
        lang.tf("sheet-report-known", &[("at", moment(report.known_at))]),
        lang.tf(
            if made.frozen {
                "sheet-report-frozen"
            } else {
                "sheet-report-made"
            },
            &[("at", moment(made.at)), ("by", made.by.clone())],
        ),
    ];
    Sheet {
        file_name: file_name(&["bao-cao-ocop", &report.unit.code, &report.as_of.to_string()]),
        title: "Báo cáo OCOP".to_owned(),
        columns,
        rows,
        preamble,
    }
}

fn figure_columns() -> [Column; 12] {
    [
        col("Chuỗi giá trị xanh: số đạt", "value_chain_numerator"),
        col("Chuỗi giá trị xanh: số chủ thể", "value_chain_denominator"),
        col("Chuỗi giá trị xanh: tỷ lệ (%)", "value_chain_share"),
        col("Chuỗi giá trị xanh: mục tiêu (%)", "value_chain_target"),
        col("Chuỗi giá trị xanh: đạt", "value_chain_met"),
        col("Chuỗi giá trị xanh: còn thiếu", "value_chain_gap"),
        col("Kênh hiện đại: số đạt", "modern_channel_numerator"),
        col("Kênh hiện đại: số chủ thể", "modern_channel_denominator"),
        col("Kênh hiện đại: tỷ lệ (%)", "modern_channel_share"),
        col("Kênh hiện đại: mục tiêu (%)", "modern_channel_target"),
        col("Kênh hiện đại: đạt", "modern_channel_met"),
        col("Kênh hiện đại: còn thiếu", "modern_channel_gap"),
    ]
}

/// A gap in the reader's words.
pub fn gap_label(lang: Lang, g: Gap) -> String {
    lang.t(&format!("gap-{}", g.code()))
}

/// Explained subjects with their contacts: whom to call about what is missing.
pub fn explanation_sheet(
    unit: &ReportUnit,
    as_of: chrono::NaiveDate,
    items: &[SubjectExplanation],
    contacts: &HashMap<Uuid, SubjectView>,
    lang: Lang,
) -> Sheet {
    let mut columns = vec![
        col("Mã chủ thể", "subject_id"),
        col("Chủ thể OCOP", "name"),
        col("Loại hình", "legal_form"),
        col("Xã/Phường (đăng ký)", "commune"),
        col("Đơn vị ngày số liệu", "placed_in"),
        col("Người đại diện", "representative"),
        col("Điện thoại", "phone"),
        col("Địa chỉ", "address"),
    ];
    for key in [IndicatorKey::ValueChain, IndicatorKey::ModernChannel] {
        columns.extend(match key {
            IndicatorKey::ValueChain => [
                col("Chuỗi giá trị xanh: đang tính", "value_chain_counts"),
                col("Chuỗi giá trị xanh: còn thiếu", "value_chain_gaps"),
                col("Chuỗi giá trị xanh: chi tiết", "value_chain_reasons"),
            ],
            IndicatorKey::ModernChannel => [
                col("Kênh hiện đại: đang tính", "modern_channel_counts"),
                col("Kênh hiện đại: còn thiếu", "modern_channel_gaps"),
                col("Kênh hiện đại: chi tiết", "modern_channel_reasons"),
            ],
        });
    }
    // Reports frozen before notes existed hold the English sentences only.
    let verdict =
        |counts: Option<bool>, gaps: &[Gap], notes: &[Note], reasons: &[String]| -> [Cell; 3] {
            [
                counts.map_or(Cell::Empty, Cell::Bool),
                Cell::Text(
                    gaps.iter()
                        .map(|g| gap_label(lang, *g))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                Cell::Text(if notes.is_empty() {
                    reasons.join("; ")
                } else {
                    notes
                        .iter()
                        .map(|n| n.render(lang))
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
            ]
        };
    let rows = items
        .iter()
        .map(|e| {
            let c = contacts.get(&e.subject.id);
            let text = |v: Option<&Option<String>>| Cell::from(v.and_then(|s| s.clone()));
            let mut r: Vec<Cell> = vec![
                e.subject.id.to_string().into(),
                e.subject.name.as_str().into(),
                lang.t(&format!("legal-{}", e.subject.legal_form.code()))
                    .into(),
                e.subject.commune.as_ref().map(|u| u.name.clone()).into(),
                e.placed_in.as_ref().map(|u| u.name.clone()).into(),
                text(c.map(|c| &c.representative)),
                text(c.map(|c| &c.phone)),
                text(c.map(|c| &c.address)),
            ];
            match &e.value_chain {
                Some(v) => r.extend(verdict(Some(v.counts), &v.gaps, &v.notes, &v.reasons)),
                None => r.extend(verdict(None, &[], &[], &[])),
            }
            match &e.modern_channel {
                Some(m) => r.extend(verdict(Some(m.counts), &m.gaps, &m.notes, &m.reasons)),
                None => r.extend(verdict(None, &[], &[], &[])),
            }
            r
        })
        .collect();
    Sheet {
        file_name: file_name(&["chu-the-ocop", &unit.code, &as_of.to_string()]),
        title: "Chủ thể OCOP".to_owned(),
        columns,
        rows,
        preamble: Vec::new(),
    }
}

/// A frozen report as the file `format` asks for, written as filed: the same bytes at every
/// download (`None`: JSON, which callers answer with the stored text).
pub fn frozen_download(
    frozen: &FrozenReport,
    format: crate::export::Format,
    lang: Lang,
) -> crate::error::AppResult<Option<crate::export::Download>> {
    crate::export::download_all_made(
        &frozen_sheets(frozen, lang),
        format,
        lang,
        Some(&frozen.frozen_at),
    )
}

/// A frozen report as filed: its figures, then every population subject with its verdicts (no
/// contacts: the filed report holds none).
pub fn frozen_sheets(frozen: &FrozenReport, lang: Lang) -> Vec<Sheet> {
    let made = Made {
        by: frozen.frozen_by.clone(),
        at: frozen.frozen_at,
        frozen: true,
    };
    let mut report = report_sheet(&frozen.report, lang, &made);
    report.file_name = file_name(&[
        "bao-cao-da-chot",
        &frozen.report.unit.code,
        &frozen.report.as_of.to_string(),
    ]);
    let subjects = explanation_sheet(
        &frozen.report.unit,
        frozen.report.as_of,
        &frozen.subjects,
        &HashMap::new(),
        lang,
    );
    vec![report, subjects]
}
