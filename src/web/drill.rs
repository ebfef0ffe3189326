//! The drill-down's query: who counts and who does not for one indicator, as typed in its form
//! or its links, checked once for the list, its pages and its download.

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use strum::IntoEnumIterator;

use super::dashboard::href;
use super::page::PageError;
use crate::auth::Actor;
use crate::error::AppError;
use crate::history::Known;
use crate::i18n::{Lang, parse_date, parse_moment};
use crate::indicators::dto::{ExplainQuery, ExplanationPage, Gap, IndicatorKey, SubjectOrder};
use crate::pagination::PageParams;
use crate::{clock, indicators, units};

/// Per page of the drill-down.
pub(super) const PER_PAGE: u64 = 50;

/// The drill-down's query, as typed in its form or its links.
#[derive(rocket::FromForm)]
pub struct DrillQuery<'r> {
    pub(super) unit: &'r str,
    pub(super) date: Option<&'r str>,
    pub(super) indicator: Option<&'r str>,
    pub(super) counts: Option<&'r str>,
    pub(super) gap: Option<&'r str>,
    pub(super) page: Option<u64>,
    /// `csv` or `xlsx` for the download.
    pub(super) format: Option<&'r str>,
    /// As known at (`01/07/2025 09:30`, Việt Nam's time).
    pub(super) known: Option<&'r str>,
    /// `name` (default) or `commune`.
    pub(super) sort: Option<&'r str>,
}

/// A drill-down query checked: the unit of the date, the date, the indicator, the filters.
pub(super) struct Drill {
    pub(super) unit: entity::unit::Model,
    pub(super) day: NaiveDate,
    /// As typed, and as RFC 3339.
    pub(super) known: Option<(String, String)>,
    pub(super) key: IndicatorKey,
    pub(super) counts: Option<bool>,
    pub(super) gap: Option<Gap>,
    pub(super) by_commune: bool,
    pub(super) page: u64,
}

impl Drill {
    pub(super) async fn parse(
        db: &DatabaseConnection,
        lang: Lang,
        q: &DrillQuery<'_>,
    ) -> Result<Drill, PageError> {
        let day = match q.date.filter(|d| !d.trim().is_empty()) {
            None => clock::today(),
            Some(d) => {
                parse_date(d).ok_or_else(|| AppError::invalid("date", lang.t("date-invalid")))?
            }
        };
        let key = match q.indicator {
            Some("value_chain") => IndicatorKey::ValueChain,
            None | Some("modern_channel") => IndicatorKey::ModernChannel,
            Some(_) => {
                return Err(AppError::invalid("indicator", "value_chain or modern_channel").into());
            }
        };
        let counts = match q.counts {
            Some("true") => Some(true),
            Some("false") => Some(false),
            None | Some("") => None,
            Some(_) => return Err(AppError::invalid("counts", "true or false").into()),
        };
        let gap = match q.gap.filter(|g| !g.is_empty()) {
            None => None,
            Some(g) => Some(
                Gap::iter()
                    .find(|x| x.code() == g)
                    .ok_or_else(|| AppError::invalid("gap", "not a known reason"))?,
            ),
        };
        let known =
            moment(lang, q.known)?.map(|m| (q.known.unwrap_or_default().trim().to_owned(), m));
        Ok(Drill {
            unit: units::service::by_code_on(db, q.unit, day).await?,
            day,
            known,
            key,
            counts,
            gap,
            by_commune: match q.sort {
                None | Some("") | Some("name") => false,
                Some("commune") => true,
                Some(_) => return Err(AppError::invalid("sort", "name or commune").into()),
            },
            page: q.page.unwrap_or(1).clamp(1, crate::pagination::MAX_PAGE),
        })
    }

    /// The knowledge time asked for (now when none), refused as the API refuses it.
    pub(super) fn known_at(&self) -> Result<Known, AppError> {
        Known::asked(self.known.as_ref().map(|(_, m)| m.as_str()), "known_at")
    }

    /// This drill's page of explained subjects.
    pub(super) async fn explained(
        &self,
        db: &DatabaseConnection,
        actor: &Actor,
    ) -> Result<ExplanationPage, PageError> {
        let page = PageParams::new(self.page, PER_PAGE);
        let query = (&self.explain_query(), self.known_at()?);
        Ok(indicators::service::explain(db, actor, query, &page).await?)
    }

    pub(super) fn explain_query(&self) -> ExplainQuery {
        ExplainQuery {
            unit_id: self.unit.id,
            as_of: self.day,
            indicator: Some(self.key),
            counts: self.counts,
            gap: self.gap,
            sort: Some(if self.by_commune {
                SubjectOrder::Commune
            } else {
                SubjectOrder::Name
            }),
            policy_version: None,
            known_at: None,
            format: None,
            lang: None,
        }
    }

    /// The link to this list with other page or format.
    pub(super) fn href(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let counts = self.counts.map_or(String::new(), |c| c.to_string());
        let mut pairs = vec![
            ("unit", self.unit.code.as_str()),
            (
                "known",
                self.known.as_ref().map_or("", |(typed, _)| typed.as_str()),
            ),
            ("date", ""),
            ("indicator", self.key.code()),
            ("counts", counts.as_str()),
            ("gap", self.gap.map_or("", Gap::code)),
            ("sort", if self.by_commune { "commune" } else { "" }),
        ];
        let iso = self.day.to_string();
        pairs[2].1 = &iso;
        pairs.extend_from_slice(extra);
        href(path, &pairs)
    }
}

/// A knowledge time typed in a page, as Vietnamese write it (`01/07/2025 09:30`) or RFC 3339:
/// the moment it names (`None` when left empty), or the page's refusal naming `known`. Whether
/// it is past is the API's rule ([`Known::asked`]), checked where the figures are read.
pub(super) fn moment(lang: Lang, typed: Option<&str>) -> Result<Option<String>, PageError> {
    match typed.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => parse_moment(k)
            .map(Some)
            .ok_or_else(|| AppError::invalid("known", lang.t("known-at-invalid")).into()),
    }
}
