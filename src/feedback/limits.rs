//! The spam defences of the public form, counted in the database so that every process of a
//! deployment applies the same ones: reports per sender address and per product in a day, and
//! reports waiting per product.

use chrono::Duration;
use entity::problem_report as report;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::ReportStatus;
use crate::error::{AppError, AppResult};
use crate::msg;

/// Reports one sender address may send in a day.
pub const PER_SENDER_PER_DAY: u64 = 5;
/// Reports one product may receive in a day.
pub const PER_PRODUCT_PER_DAY: u64 = 20;
/// Reports one product may have waiting (open or answered, not closed): past it the form says
/// the department already has them in hand.
pub const OPEN_PER_PRODUCT: u64 = 10;

/// The digest the per-address limit counts: the address itself is never stored. An IPv6
/// sender is its /64, the network one subscriber is given (any address in it is theirs).
pub fn sender_key(form_key: &[u8], ip: std::net::IpAddr) -> String {
    let network = match ip {
        std::net::IpAddr::V6(v6) => {
            let mut o = v6.octets();
            o[8..].fill(0);
            std::net::Ipv6Addr::from(o).to_string()
        }
        v4 => v4.to_string(),
    };
    let mut h = Sha256::new();
    h.update(form_key);
    h.update(network.as_bytes());
    hex::encode(h.finalize())
}

/// Whether a report may be filed: its form not used yet, and within the limits.
pub async fn admissible(
    db: &impl ConnectionTrait,
    product_id: Uuid,
    nonce: &str,
    sender: &str,
    day_ago: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    let used = report::Entity::find()
        .filter(report::Column::FormNonce.eq(nonce))
        .count(db)
        .await?;
    if used > 0 {
        return Err(AppError::Conflict(msg!("report-form-used")));
    }
    within_limits(db, product_id, sender, day_ago).await
}

/// The limits a report must be within: the sender's reports of the day, the product's reports
/// of the day and those it has waiting.
async fn within_limits(
    txn: &impl ConnectionTrait,
    product_id: Uuid,
    sender: &str,
    day_ago: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    if let Some(wait) = sender_wait(txn, sender, day_ago).await? {
        let wait = wait.num_seconds().max(1);
        return Err(AppError::TooManyRequests(msg!(
            "report-too-many-sender",
            n = PER_SENDER_PER_DAY,
            seconds = wait
        )));
    }
    if report::Entity::find()
        .filter(report::Column::ProductId.eq(product_id))
        .filter(report::Column::CreatedAt.gt(day_ago))
        .filter(report::Column::Status.ne(ReportStatus::Closed.code()))
        .count(txn)
        .await?
        >= PER_PRODUCT_PER_DAY
        || super::service::open_reports(txn, &[product_id])
            .await?
            .get(&product_id)
            .copied()
            .unwrap_or(0)
            >= OPEN_PER_PRODUCT
    {
        return Err(AppError::Conflict(msg!("report-enough-open")));
    }
    Ok(())
}

/// How long `sender`, at its day's limit, waits to send again (until the oldest of its last
/// reports leaves the day's window: the refusal's `Retry-After`); `None` within the limit.
async fn sender_wait(
    db: &impl ConnectionTrait,
    sender: &str,
    day_ago: chrono::DateTime<chrono::Utc>,
) -> AppResult<Option<Duration>> {
    let newest = report::Entity::find()
        .filter(report::Column::SenderKey.eq(sender))
        .filter(report::Column::CreatedAt.gt(day_ago))
        .order_by_desc(report::Column::CreatedAt)
        .limit(PER_SENDER_PER_DAY)
        .all(db)
        .await?;
    Ok((newest.len() as u64 >= PER_SENDER_PER_DAY)
        .then(|| newest.last().map(|r| r.created_at - day_ago))
        .flatten())
}
