//! `?page=&per_page=` and the list envelope `{items, page, per_page, total}`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

/// Largest page the API serves.
pub const MAX_PER_PAGE: u64 = 500;
/// Highest page number served.
pub const MAX_PAGE: u64 = 1_000_000;
/// Page size when the client does not say.
pub const DEFAULT_PER_PAGE: u64 = 50;

/// Page selection, flattened into every list query.
#[derive(Debug, Clone, Copy, Deserialize, Validate, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number (default 1).
    #[validate(range(min = 1, max = 1000000, message = "must be between 1 and 1000000"))]
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Items per page (default 50, at most 500).
    #[validate(range(min = 1, max = 500, message = "must be between 1 and 500"))]
    #[param(minimum = 1, maximum = 500)]
    pub per_page: Option<u64>,
}

impl PageParams {
    /// Page `page` of `per_page` items (for callers that are not a query string: a page's own
    /// `?page=`, held to the API's range).
    pub fn new(page: u64, per_page: u64) -> Self {
        PageParams {
            page: Some(page.clamp(1, MAX_PAGE)),
            per_page: Some(per_page),
        }
    }

    /// The 1-based page.
    pub fn page(&self) -> u64 {
        self.page.unwrap_or(1)
    }

    /// The page size.
    pub fn per_page(&self) -> u64 {
        self.per_page.unwrap_or(DEFAULT_PER_PAGE).min(MAX_PER_PAGE)
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        self.page()
            .saturating_sub(1)
            .saturating_mul(self.per_page())
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    /// Items matching the filters, over all pages.
    pub total: u64,
}

impl<T> Paginated<T> {
    /// Wraps a page of items.
    pub fn new(items: Vec<T>, params: &PageParams, total: u64) -> Self {
        Paginated {
            items,
            page: params.page(),
            per_page: params.per_page(),
            total,
        }
    }

    /// Converts the items, keeping the paging.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paginated<U> {
        Paginated {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
        }
    }
}

/// One page of an ordered query and the number of rows over all pages.
pub async fn fetch<E>(
    db: &impl sea_orm::ConnectionTrait,
    select: sea_orm::Select<E>,
    page: &PageParams,
) -> crate::error::AppResult<(Vec<E::Model>, u64)>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::{PaginatorTrait, QuerySelect};
    let total = select.clone().count(db).await?;
    let rows = select
        .offset(page.offset())
        .limit(page.per_page())
        .all(db)
        .await?;
    Ok((rows, total))
}
