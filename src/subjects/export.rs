//! The list of subjects as a spreadsheet: headed as the list of subjects imports it, so an
//! export re-imports to no change (`imports`), each place written as its official code and its
//! names.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::dto::SubjectQuery;
use super::service::list;
use crate::auth::Actor;
use crate::error::AppResult;
use crate::pagination::{MAX_PER_PAGE, PageParams};

/// Every subject matching the filters, as a spreadsheet (headings and values in `lang`).
pub async fn sheet(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &SubjectQuery,
    lang: crate::i18n::Lang,
) -> AppResult<crate::export::Sheet> {
    use crate::export::{Cell, Sheet, col, file_name};
    let graph = crate::unit_graph::UnitGraph::load(db).await?;
    // The commune's district and province as they stood with it.
    let above = |id: Uuid, level: crate::domain::UnitLevel| -> Cell {
        graph
            .ancestors(id)
            .into_iter()
            .filter_map(|a| graph.get(a))
            .find(|u| u.level == level)
            .map(|u| u.name.clone())
            .into()
    };
    let mut rows = Vec::new();
    for page_no in 1.. {
        let page = list(db, actor, q, &PageParams::new(page_no, MAX_PER_PAGE)).await?;
        let last = page.items.len() < MAX_PER_PAGE as usize;
        rows.extend(page.items.into_iter().map(|s| {
            vec![
                Cell::from(s.id.to_string()),
                s.name.into(),
                lang.t(&format!("legal-{}", s.legal_form.code())).into(),
                s.tax_code.into(),
                // The code names the unit exactly (names repeat across provinces and reforms).
                s.commune.as_ref().map(|c| c.code.clone()).into(),
                s.commune.map(|c| c.name).into(),
                above(s.commune_id, crate::domain::UnitLevel::District),
                above(s.commune_id, crate::domain::UnitLevel::Province),
                s.address.into(),
                s.representative.into(),
                s.phone.into(),
                s.email.into(),
                Cell::Bool(s.woman_led),
                s.founded_on.into(),
            ]
        }));
        if last {
            break;
        }
    }
    Ok(Sheet {
        file_name: file_name(&["chu-the-ocop"]),
        title: "Chủ thể OCOP".to_owned(),
        columns: vec![
            col("Mã chủ thể", "id"),
            col("Tên chủ thể", "name"),
            col("Loại hình", "legal_form"),
            col("Mã số thuế", "tax_code"),
            col("Mã xã", "commune_code"),
            col("Xã/Phường", "commune"),
            col("Quận/Huyện", "district"),
            col("Tỉnh/Thành phố", "province"),
            col("Địa chỉ", "address"),
            col("Người đại diện", "representative"),
            col("Điện thoại", "phone"),
            col("Email", "email"),
            col("Phụ nữ làm chủ", "woman_led"),
            col("Ngày thành lập", "founded_on"),
        ],
        rows,
        preamble: Vec::new(),
    })
}
