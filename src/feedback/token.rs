//! The report form's token: when the form was handed out, signed, so that a form sent back
//! sooner than a person can fill it (a script) or hours later is refused. The key is one random
//! value kept in the database, the same for every process of a deployment.

use hmac::{Hmac, Mac};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, Statement};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A form sent back sooner than this was not filled by a person.
pub const MIN_SECONDS: i64 = 3;
/// A form older than this is stale: the page is loaded again.
pub const MAX_SECONDS: i64 = 2 * 60 * 60;

const KEY_NAME: &str = "report_form";

/// The deployment's key for report forms, made by the first process that needs it.
pub async fn key(db: &impl ConnectionTrait) -> AppResult<Vec<u8>> {
    static KEY: tokio::sync::OnceCell<Vec<u8>> = tokio::sync::OnceCell::const_new();
    KEY.get_or_try_init(|| async {
        let backend = db.get_database_backend();
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let insert = Query::insert()
            .into_table("app_secret")
            .columns(["name", "value"])
            .values_panic([KEY_NAME.into(), fresh.into()])
            .on_conflict(OnConflict::column("name").do_nothing().to_owned())
            .to_owned();
        db.execute(&insert).await?;
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DbBackend::Postgres => "SELECT value FROM app_secret WHERE name = $1",
                    _ => "SELECT value FROM app_secret WHERE name = ?",
                },
                [KEY_NAME.into()],
            ))
            .await?
            .ok_or_else(|| AppError::Internal("no report form key".to_owned()))?;
        let value: String = row.try_get("", "value")?;
        hex::decode(value).map_err(|_| AppError::Internal("report form key is not hex".to_owned()))
    })
    .await
    .cloned()
}

fn mac(key: &[u8], product: Uuid, issued: i64, nonce: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(product.as_bytes());
    mac.update(&issued.to_be_bytes());
    mac.update(nonce.as_bytes());
    mac
}

/// A token for the form of `product`, handed out at `now` (unix seconds), with a nonce of its
/// own: the report it files keeps the nonce, and a second report with it is refused.
pub fn issue(key: &[u8], product: Uuid, now: i64) -> String {
    let nonce = hex::encode(rand::random::<[u8; 12]>());
    let sig = mac(key, product, now, &nonce).finalize().into_bytes();
    format!("{now}.{nonce}.{}", hex::encode(&sig[..16]))
}

/// Checks a token sent back at `now`: made here for this product, neither too soon nor too old.
/// Its nonce, for the report to keep.
pub fn check(key: &[u8], product: Uuid, token: &str, now: i64) -> AppResult<String> {
    let refused = |m| Err(AppError::invalid("form_token", m));
    let mut parts = token.split('.');
    let (Some(issued), Some(nonce), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return refused(crate::msg!("report-form-invalid"));
    };
    // Digits only: "+5" and "05" would read as the same instant under another text.
    let issued = match issued.parse::<i64>() {
        Ok(n) if issued.bytes().all(|b| b.is_ascii_digit()) && !issued.starts_with('0') => n,
        _ => return refused(crate::msg!("report-form-invalid")),
    };
    // Compared in constant time (`verify_truncated_left`): a forger learns nothing byte by byte.
    let given = hex::decode(sig).unwrap_or_default();
    let forged = mac(key, product, issued, nonce)
        .verify_truncated_left(&given)
        .is_err();
    if given.len() != 16 || nonce.len() != 24 || forged {
        return refused(crate::msg!("report-form-invalid"));
    }
    let age = now - issued;
    if age < MIN_SECONDS {
        return refused(crate::msg!("report-form-too-fast"));
    }
    if age > MAX_SECONDS {
        return refused(crate::msg!("report-form-expired"));
    }
    Ok(nonce.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_holds_for_its_product_between_the_bounds() {
        let key = b"k";
        let p = Uuid::nil();
        let t = issue(key, p, 1_000);
        assert!(check(key, p, &t, 1_000 + MIN_SECONDS).is_ok());
        assert!(check(key, p, &t, 1_000 + MIN_SECONDS - 1).is_err());
        assert!(check(key, p, &t, 1_000 + MAX_SECONDS + 1).is_err());
        assert!(check(key, Uuid::max(), &t, 1_010).is_err());
        assert!(check(b"other", p, &t, 1_010).is_err());
        assert!(check(key, p, "1000.00", 1_010).is_err());
        let (issued, rest) = t.split_once('.').unwrap();
        assert!(check(key, p, &format!("+{issued}.{rest}"), 1_010).is_err());
        assert!(check(key, p, &format!("0{issued}.{rest}"), 1_010).is_err());
    }
}
