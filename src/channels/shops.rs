//! One shop, one channel: the keys that identify a shop (its platform and id, or its address),
//! and the checks that keep two subjects from declaring the same shop.

use entity::sales_channel as channel;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::db::begin_write;
use crate::domain::Platform;
use crate::error::{AppError, AppResult};
use crate::msg;
use crate::text::clean;

/// The platform a person named (any spelling of a known marketplace is that marketplace; other
/// names, chains, are kept as typed).
pub fn normalise_platform(name: &str) -> Platform {
    Platform::parse(&clean(name))
}

/// Marketplaces: shop addresses that ignore letter case and whose query strings are tracking
/// noise (`?sp_atk=…`), never part of the shop.
const MARKETPLACE_HOSTS: [&str; 6] = [
    "shopee.vn",
    "lazada.vn",
    "tiki.vn",
    "sendo.vn",
    "tiktok.com",
    "shop.tiktok.com",
];

/// Social networks whose page names ignore letter case but whose query strings can name the
/// page (`profile.php?id=…`).
const CASE_BLIND_HOSTS: [&str; 2] = ["facebook.com", "zalo.me"];

/// The identity of the shop a channel is (docs/domain.md §7): the platform and shop id, or without
/// a shop id the shop URL made canonical — its host in lower case without a trailing dot or
/// `www.`, its path percent-decoded, without empty segments or a trailing slash, in lower case
/// on the sites whose addresses ignore case, its query kept except on marketplaces. Two ways of
/// writing one shop are one shop. Channels without either (a supermarket chain, a showroom)
/// have none.
pub fn shop_key(platform: &str, shop_id: Option<&str>, shop_url: Option<&str>) -> Option<String> {
    if let Some(id) = shop_id.map(str::trim).filter(|s| !s.is_empty()) {
        return Some(id_key(&platform_key(platform), id));
    }
    url_key(shop_url?)
}

/// A shop id as an identity: full-width digits as digits, a number without its leading zeros
/// (`0778899` and `７７８８９９` are shop 778899), in lower case.
fn id_key(platform: &str, id: &str) -> String {
    let id: String = id
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => char::from(b'0' + (c as u32 - 0xFF10) as u8),
            c => c,
        })
        .collect::<String>()
        .to_lowercase();
    let id = if id.chars().all(|c| c.is_ascii_digit()) {
        match id.trim_start_matches('0') {
            "" => "0".to_owned(),
            digits => digits.to_owned(),
        }
    } else {
        id
    };
    format!("id:{platform}:{id}")
}

/// A platform's name as an identity: letters and digits only, in lower case, without the words
/// people add to it ("Lazada VN", "Facebook Page", "Shopee Mall" are Lazada, Facebook, Shopee).
fn platform_key(platform: &str) -> String {
    let folded = crate::text::fold(platform);
    // A marketplace named among other words ("Sàn Shopee", "TMĐT Lazada") is that marketplace.
    if let Some(code) = Platform::known_codes().find(|code| {
        let word = code.split('_').next().unwrap_or(code);
        folded
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == word)
    }) {
        return code.split('_').next().unwrap_or(code).to_owned();
    }
    let mut key: String = folded.chars().filter(char::is_ascii_alphanumeric).collect();
    while let Some(shorter) = ["vietnam", "vn", "page", "mall", "official", "store", "shop"]
        .iter()
        .find_map(|w| key.strip_suffix(w).filter(|s| !s.is_empty()))
    {
        key = shorter.to_owned();
    }
    key
}

/// The shop URL made canonical (see [`shop_key`]): a second identity of a shop that also has an
/// id, so that another subject's shop address with a made-up id is still that shop.
pub fn url_key(shop_url: &str) -> Option<String> {
    let url = reqwest::Url::parse(shop_url.trim()).ok()?;
    let host = url.host_str()?.to_lowercase();
    let mut host = host.trim_end_matches('.');
    // The mobile and web faces of a site are the site.
    while let Some(rest) = ["www.", "m.", "mobile.", "web."]
        .iter()
        .find_map(|p| host.strip_prefix(p).filter(|r| r.contains('.')))
    {
        host = rest;
    }
    // Facebook's language and business faces are Facebook.
    let host = match host {
        "fb.com" => "facebook.com",
        h if h.ends_with(".facebook.com") => "facebook.com",
        h => h,
    };
    let decoded = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy();
    // Characters nobody sees (controls, zero-width spaces) are not part of an address.
    let decoded: String = decoded
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{FEFF}'))
        .collect();
    // Segments without session parameters (`;jsessionid=…`) or stray spaces; an index page is
    // its folder.
    let mut segments: Vec<&str> = decoded
        .split('/')
        .map(|segment| segment.split(';').next().unwrap_or_default().trim())
        .filter(|segment| !segment.is_empty())
        .collect();
    // A Shopee shop's address by its number is the shop's id.
    if host == "shopee.vn"
        && let ["shop", number] = segments.as_slice()
        && number.chars().all(|c| c.is_ascii_digit())
    {
        return Some(id_key("shopee", number));
    }
    if segments.last().is_some_and(|last| {
        ["index.html", "index.htm", "index.php", "default.aspx"]
            .contains(&last.to_lowercase().as_str())
    }) {
        segments.pop();
    }
    let mut path: String = segments
        .iter()
        .map(|segment| format!("/{segment}"))
        .collect();
    let on = |hosts: &[&str]| {
        hosts
            .iter()
            .any(|h| host == *h || host.ends_with(&format!(".{h}")))
    };
    let marketplace = on(&MARKETPLACE_HOSTS);
    if marketplace || on(&CASE_BLIND_HOSTS) {
        path = path.to_lowercase();
    }
    // Elsewhere the query can name the page (`profile.php?id=…`), but tracking parameters
    // never do.
    if !marketplace {
        let kept: Vec<String> = url
            .query_pairs()
            .filter(|(k, _)| {
                let k = k.to_lowercase();
                !(k.starts_with("utm_")
                    || [
                        "fbclid", "gclid", "igshid", "mibextid", "ref", "refsrc", "locale", "_rdr",
                        "src", "hl", "from",
                    ]
                    .contains(&k.as_str()))
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !kept.is_empty() {
            path.push('?');
            path.push_str(&kept.join("&"));
        }
    }
    Some(format!("url:{host}{path}"))
}

/// Refuses a shop another channel holds for an overlapping period: one shop, one subject
/// (docs/domain.md §7). The answer does not say whose it is.
pub(super) async fn ensure_shop_free(
    db: &impl ConnectionTrait,
    m: &channel::Model,
) -> AppResult<()> {
    let mut keys: Vec<&str> = m
        .shop_key
        .iter()
        .chain(m.shop_url_key.iter())
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    // In one order everywhere, so two claims of the same two keys cannot wait on each other.
    for key in &keys {
        crate::db::lock_key(db, &format!("shop:{key}")).await?;
    }
    let mut q = channel::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(channel::Column::ShopKey.is_in(keys.clone()))
                .add(channel::Column::ShopUrlKey.is_in(keys)),
        )
        .filter(channel::Column::Id.ne(m.id));
    if let Some(to) = m.active_to {
        q = q.filter(
            sea_orm::Condition::any()
                .add(channel::Column::ActiveFrom.is_null())
                .add(channel::Column::ActiveFrom.lte(to)),
        );
    }
    if let Some(from) = m.active_from {
        q = q.filter(
            sea_orm::Condition::any()
                .add(channel::Column::ActiveTo.is_null())
                .add(channel::Column::ActiveTo.gte(from)),
        );
    }
    if q.one(db).await?.is_some() {
        return Err(AppError::Conflict(
            "this shop is already registered as a channel for an overlapping period; a shop \
             belongs to one subject (ask the department if it is yours)"
                .into(),
        ));
    }
    Ok(())
}

/// A marketplace connection reads the channel's own shop: on the channel's marketplace, and the
/// shop the channel names (or, for a channel named by its address only, a shop no other
/// channel holds) — a connection cannot take another subject's shop and lock its seller out.
pub async fn check_connected_shop(
    db: &impl ConnectionTrait,
    ch: &channel::Model,
    connector: &str,
    shop_id: Option<&str>,
) -> AppResult<()> {
    if platform_key(ch.platform.code()) != platform_key(connector) {
        return Err(AppError::invalid(
            "connector",
            msg!(
                "connect-not-the-channel-s-marketplace",
                platform = ch.platform.clone()
            ),
        ));
    }
    let Some(shop) = shop_id.filter(|s| !s.is_empty()) else {
        return Ok(());
    };
    match ch.shop_id.as_deref() {
        Some(own) if own.trim().eq_ignore_ascii_case(shop) => Ok(()),
        Some(own) => Err(AppError::invalid(
            "shop_id",
            msg!("connect-not-the-channel-s-shop", shop = own.to_owned()),
        )),
        None => {
            let mut claimed = ch.clone();
            claimed.shop_id = Some(shop.to_owned());
            claimed.shop_key = shop_key(ch.platform.code(), Some(shop), ch.shop_url.as_deref());
            ensure_shop_free(db, &claimed).await
        }
    }
}

/// A connected channel keeps the shop it is connected to: the listings the sync brings are that
/// shop's, so the channel may not come to name another (or another platform or kind) while
/// they keep arriving. Filling a missing shop id with the connected shop's is the connection's
/// own record. Disconnecting first leaves the listings seen so far with the shop they were.
pub(super) async fn ensure_connection_kept(
    db: &impl ConnectionTrait,
    current: &channel::Model,
    next: &channel::Model,
) -> AppResult<()> {
    let shop_moved = next.kind != current.kind
        || next.platform != current.platform
        || next.shop_url_key != current.shop_url_key
        || next.shop_id != current.shop_id;
    if !shop_moved {
        return Ok(());
    }
    let Some(conn) = crate::db::unique(
        db,
        entity::channel_connection::Entity::find_by_id(current.id),
    )
    .await?
    else {
        return Ok(());
    };
    let filling_id = current.shop_id.is_none()
        && next.shop_id.is_some()
        && next.shop_id == conn.shop_id
        && next.kind == current.kind
        && next.platform == current.platform
        && next.shop_url_key == current.shop_url_key;
    if filling_id {
        return Ok(());
    }
    Err(AppError::Conflict(msg!("conflict-channel-connected")))
}

/// Brings every channel's shop identities to the canonical form (idempotent; start-up): keys
/// written before they were kept, or before the form changed, are recomputed. Only the rows
/// whose keys differ are written.
pub async fn backfill_shop_keys(db: &DatabaseConnection) -> AppResult<u64> {
    // Id, platform, shop id, shop URL, and the two keys as stored.
    type Keys = (
        Uuid,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Keys> = channel::Entity::find()
        .select_only()
        .columns([
            channel::Column::Id,
            channel::Column::Platform,
            channel::Column::ShopId,
            channel::Column::ShopUrl,
            channel::Column::ShopKey,
            channel::Column::ShopUrlKey,
        ])
        .filter(
            sea_orm::Condition::any()
                .add(channel::Column::ShopId.is_not_null())
                .add(channel::Column::ShopUrl.is_not_null()),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut n = 0;
    let txn = begin_write(db).await?;
    for (id, platform, shop_id, shop_url, key, url) in rows {
        let (k, u) = (
            shop_key(&platform, shop_id.as_deref(), shop_url.as_deref()),
            shop_url.as_deref().and_then(url_key),
        );
        if (&k, &u) != (&key, &url) {
            channel::Entity::update_many()
                .col_expr(channel::Column::ShopKey, sea_orm::sea_query::Expr::value(k))
                .col_expr(
                    channel::Column::ShopUrlKey,
                    sea_orm::sea_query::Expr::value(u),
                )
                .filter(channel::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            n += 1;
        }
    }
    txn.commit().await?;
    Ok(n)
}
