//! Channel rules, verification and queries; listings.

use entity::{listing, sales_channel as channel};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::dto::{
    ChannelView, CreateChannel, ListingQuery, ListingView, RejectChannel, UpdateChannel,
    VerifyChannel, needs_shop,
};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::auth::{owned, visible};
use crate::db::{begin_write, save_version};
use crate::domain::{ChannelKind, Platform, Role, TrackedStatus, VerificationStatus};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::lifecycle::{self, Move, StatusEventView};
use crate::msg;
use crate::pagination::{PageParams, Paginated, fetch};
use crate::text::clean;
use crate::version::ExpectedVersion;
use crate::{clock, documents, ids};

/// The entity name in the audit trail and the status history.
const TRACKED: entity::enums::Tracked = entity::enums::Tracked::Channel;

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
async fn ensure_shop_free(db: &impl ConnectionTrait, m: &channel::Model) -> AppResult<()> {
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
async fn ensure_connection_kept(
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

async fn view(db: &impl ConnectionTrait, m: channel::Model) -> AppResult<ChannelView> {
    Ok(views(db, vec![m]).await?.remove(0))
}

fn check(m: &channel::Model) -> AppResult<()> {
    let mut fields = FieldErrors::new();
    let kind: ChannelKind = m.kind;
    if let (Some(from), Some(to)) = (m.active_from, m.active_to)
        && to < from
    {
        fields.insert(
            "active_to".to_owned(),
            vec!["must not be before active_from".into()],
        );
    }
    if needs_shop(kind) && m.shop_url.is_none() && m.shop_id.is_none() {
        fields.insert(
            "shop_url".to_owned(),
            vec![
                "a marketplace, social-commerce or web-shop channel needs a shop_url or shop_id"
                    .into(),
            ],
        );
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(fields))
    }
}

/// Declares a channel (administrators, auditors in scope, the owner).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateChannel,
) -> AppResult<ChannelView> {
    let txn = begin_write(db).await?;
    let view = create_in(&txn, actor, subject_id, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`create`] inside the caller's write transaction (an imported list).
pub async fn create_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    subject_id: Uuid,
    input: CreateChannel,
) -> AppResult<ChannelView> {
    visible(txn, actor, subject_id).await?;
    let submitted = lifecycle::submitted_on(actor, input.submitted_on)?;
    let now = clock::now();
    let platform = normalise_platform(&input.platform);
    let shop_url = input.shop_url.map(|u| u.trim().to_owned());
    let shop_id = input.shop_id.map(|s| s.trim().to_owned());
    let m = channel::Model {
        id: ids::new_id(),
        subject_id,
        kind: input.kind,
        shop_key: shop_key(platform.code(), shop_id.as_deref(), shop_url.as_deref()),
        shop_url_key: shop_url.as_deref().and_then(url_key),
        platform,
        shop_url,
        shop_id,
        active_from: input.active_from,
        active_to: input.active_to,
        evidence_url: input.evidence_url.map(|u| u.trim().to_owned()),
        verification_status: VerificationStatus::Declared,
        verified_on: None,
        verified_by: None,
        verification_note: None,
        last_observed_at: None,
        evidence_document_id: documents::service::evidence_id(
            txn,
            subject_id,
            input.evidence_document_id,
        )
        .await?,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    check(&m)?;
    ensure_shop_free(txn, &m).await?;
    let row = m.into_active_model().reset_all().insert(txn).await?;
    // The declaration is the first move: no decision on it can be dated before it.
    lifecycle::first_move(
        txn,
        actor,
        (TRACKED, row.id),
        VerificationStatus::Declared.into(),
        submitted,
    )
    .await?;
    let view = view(txn, row).await?;
    audit::record(
        txn,
        actor,
        Change::created(TRACKED.code(), view.id, Some(subject_id), &view),
    )
    .await?;
    Ok(view)
}

/// Records the shop id a marketplace gave for a channel declared by its address only (the
/// channel's own edit: its rules, its audit entry).
pub async fn set_shop_id(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    shop_id: &str,
) -> AppResult<ChannelView> {
    update(
        db,
        actor,
        id,
        ExpectedVersion(None),
        UpdateChannel {
            shop_id: Some(Some(shop_id.to_owned())),
            ..Default::default()
        },
    )
    .await
}

/// A subject's channels.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    subject_id: Uuid,
    page: &PageParams,
) -> AppResult<Paginated<ChannelView>> {
    visible(db, actor, subject_id).await?;
    let select = channel::Entity::find().filter(channel::Column::SubjectId.eq(subject_id));
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(channel::Column::CreatedAt)
            .order_by_asc(channel::Column::Id),
        page,
    )
    .await?;
    Ok(Paginated::new(views(db, rows).await?, page, total))
}

/// Channels of every subject the actor may see, in a verification state (the auditor's
/// queue: `declared`, oldest change first).
pub async fn list_all(
    db: &impl ConnectionTrait,
    actor: &Actor,
    verification: Option<VerificationStatus>,
    page: &PageParams,
) -> AppResult<Paginated<ChannelView>> {
    actor.require(&[Role::Admin, Role::Auditor])?;
    let scope = crate::auth::Scope::of(db, actor).await?;
    let mut select =
        channel::Entity::find().filter(channel::Column::SubjectId.in_subquery(scope.subject_ids()));
    if let Some(v) = verification {
        select = select.filter(channel::Column::VerificationStatus.eq(v.code()));
    }
    let (rows, total) = fetch(
        db,
        select
            .order_by_asc(channel::Column::UpdatedAt)
            .order_by_asc(channel::Column::Id),
        page,
    )
    .await?;
    Ok(Paginated::new(views(db, rows).await?, page, total))
}

/// Views of rows, with their histories in one query.
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<channel::Model>,
) -> AppResult<Vec<ChannelView>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut histories = lifecycle::histories(db, TRACKED, &ids, Default::default()).await?;
    let mut vouched = lifecycle::latest_vouched::<channel::Entity>(
        db,
        &histories,
        VerificationStatus::Verified.into(),
    )
    .await?;
    rows.into_iter()
        .map(|r| {
            let h = histories
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(StatusEventView::from)
                .collect();
            let seen = vouched.remove(&r.id);
            let mut view = ChannelView::build(r, h)?;
            if let Some((event, seen)) = seen {
                let seen = ChannelView::build(seen, Vec::new())?;
                let (v, pending) =
                    lifecycle::vouched(&view, &seen, &event, &super::dto::KEY_FIELDS);
                view.verified_version = Some(v);
                view.pending_changes = pending;
            }
            Ok(view)
        })
        .collect()
}

/// One channel.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, id: Uuid) -> AppResult<ChannelView> {
    let c = owned::<channel::Model>(db, actor, id, false).await?;
    view(db, c).await
}

/// Edits a channel. An owner's change of kind, platform or shop withdraws a verification: what
/// the auditor verified is no longer what is registered.
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateChannel,
) -> AppResult<ChannelView> {
    let txn = begin_write(db).await?;
    let view = update_in(&txn, actor, id, if_match, input).await?;
    txn.commit().await?;
    Ok(view)
}

/// [`update`] inside the caller's write transaction (an imported list).
pub async fn update_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: UpdateChannel,
) -> AppResult<ChannelView> {
    let current: channel::Model = owned(txn, actor, id, true).await?;
    if_match.check(current.version)?;
    let before = view(txn, current.clone()).await?;
    let mut next = edited(txn, &current, input).await?;
    check(&next)?;
    if next == current {
        return Ok(before);
    }
    ensure_shop_free(txn, &next).await?;
    ensure_connection_kept(txn, &current, &next).await?;
    // An owner's change of what it declares is a new declaration, dated: no verification may
    // predate it, whatever the channel's state (a verified one loses its verification). New
    // evidence for a refused channel is one too (the usual answer to a refusal); taking
    // evidence away is not.
    let status: VerificationStatus = current.verification_status;
    let new_evidence = (next.evidence_url.is_some() && next.evidence_url != current.evidence_url)
        || (next.evidence_document_id.is_some()
            && next.evidence_document_id != current.evidence_document_id);
    if actor.role == Role::Owner
        && (key_changed(&current, &next)
            || (new_evidence && status == VerificationStatus::Rejected))
    {
        let effective_on = declared_again_on(txn, id).await?;
        let to = VerificationStatus::Declared.into();
        let mv = Move::owner_edit(TRACKED, id, status.into(), to, effective_on);
        lifecycle::record(txn, actor, mv).await?;
        next.verification_status = VerificationStatus::Declared;
        next.verified_on = None;
        next.verified_by = None;
        next.verification_note = None;
    }
    let after = view(txn, save_version(txn, next).await?).await?;
    audit::record(
        txn,
        actor,
        Change::updated(
            TRACKED.code(),
            id,
            Some(current.subject_id),
            "update",
            &before,
            &after,
        ),
    )
    .await?;
    Ok(after)
}

/// Channel `current` with the input's changes, and its shop keys.
async fn edited(
    txn: &sea_orm::DatabaseTransaction,
    current: &channel::Model,
    input: UpdateChannel,
) -> AppResult<channel::Model> {
    let mut next = current.clone();
    if let Some(k) = input.kind {
        next.kind = k;
    }
    if let Some(p) = input.platform.as_deref() {
        next.platform = normalise_platform(p);
    }
    if let Some(u) = input.shop_url {
        next.shop_url = u.map(|u| u.trim().to_owned());
    }
    if let Some(s) = input.shop_id {
        next.shop_id = s.map(|s| s.trim().to_owned());
    }
    if let Some(f) = input.active_from {
        next.active_from = f;
    }
    if let Some(t) = input.active_to {
        next.active_to = t;
    }
    if let Some(e) = input.evidence_url {
        next.evidence_url = e.map(|e| e.trim().to_owned());
    }
    if let Some(d) = input.evidence_document_id {
        next.evidence_document_id =
            documents::service::evidence_id(txn, current.subject_id, d).await?;
    }
    next.shop_key = shop_key(
        next.platform.code(),
        next.shop_id.as_deref(),
        next.shop_url.as_deref(),
    );
    next.shop_url_key = next.shop_url.as_deref().and_then(url_key);
    Ok(next)
}

/// Whether `next` declares another channel than the one a verification of `current` saw.
/// A verification evidences this shop over this period: another shop, or a longer period (an
/// earlier start, a later or no end), is not what the auditor saw. Narrowing is not.
fn key_changed(current: &channel::Model, next: &channel::Model) -> bool {
    let earlier_start = next.active_from != current.active_from
        && next
            .active_from
            .is_none_or(|f| current.active_from.is_some_and(|c| f < c));
    let later_end = next.active_to != current.active_to
        && next
            .active_to
            .is_none_or(|t| current.active_to.is_some_and(|c| t > c));
    next.kind != current.kind
        || next.platform != current.platform
        || next.shop_url != current.shop_url
        || next.shop_id != current.shop_id
        || earlier_start
        || later_end
}

/// The day an owner's new declaration of channel `id` takes effect: today, but never before a
/// move already recorded, and a refusal holds for the day it takes effect (declared again from
/// the next day).
async fn declared_again_on(
    txn: &sea_orm::DatabaseTransaction,
    id: Uuid,
) -> AppResult<chrono::NaiveDate> {
    let history = lifecycle::history(txn, TRACKED, id).await?;
    let floor = history
        .iter()
        .map(|e| {
            if e.to_status == TrackedStatus::Rejected {
                e.effective_on.succ_opt().unwrap_or(e.effective_on)
            } else {
                e.effective_on
            }
        })
        .max();
    Ok(floor.map_or(clock::today(), |f| f.max(clock::today())))
}

/// Records an auditor's verification of a channel (administrators; auditors in scope).
pub async fn verify(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: VerifyChannel,
) -> AppResult<ChannelView> {
    let txn = begin_write(db).await?;
    let current: channel::Model = owned(&txn, actor, id, true).await?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    if_match.check(current.version)?;
    if current.verification_status == VerificationStatus::Verified {
        return Err(AppError::Conflict(msg!(
            "conflict-channel-verified",
            on = current
                .verified_on
                .map_or_else(|| "?".to_owned(), |d| d.to_string())
        )));
    }
    if let Some(from) = current.active_from
        && input.verified_on < from
    {
        return Err(AppError::invalid(
            "verified_on",
            msg!("field-not-before-channel-active", from = from),
        ));
    }
    let history = lifecycle::history(&txn, TRACKED, id).await?;
    if let Some(last) = lifecycle::last_effective(&history)
        && input.verified_on < last
    {
        return Err(AppError::invalid(
            "verified_on",
            msg!("field-not-before-previous-verification", last = last),
        ));
    }
    let before = view(&txn, current.clone()).await?;
    let note = input
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    lifecycle::record(
        &txn,
        actor,
        Move {
            entity: TRACKED,
            id,
            from: Some(current.verification_status.into()),
            to: VerificationStatus::Verified.into(),
            reason: note.clone(),
            effective_on: input.verified_on,
            document_id: None,
        },
    )
    .await?;
    let mut next = current.clone();
    next.verification_status = VerificationStatus::Verified;
    next.verified_on = Some(input.verified_on);
    next.verified_by = Some(actor.name.clone());
    next.verification_note = note;
    let after = view(&txn, save_version(&txn, next).await?).await?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            TRACKED.code(),
            id,
            Some(current.subject_id),
            "verify",
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// A channel's listings, most recently seen first.
pub async fn listings(
    db: &impl ConnectionTrait,
    actor: &Actor,
    channel_id: Uuid,
    q: &ListingQuery,
    page: &PageParams,
) -> AppResult<Paginated<ListingView>> {
    owned::<channel::Model>(db, actor, channel_id, false).await?;
    let mut select = listing::Entity::find().filter(listing::Column::ChannelId.eq(channel_id));
    if let Some(s) = q.status {
        select = select.filter(listing::Column::Status.eq(s.code()));
    }
    let (rows, total) = fetch(
        db,
        select
            .order_by_desc(listing::Column::LastSeenAt)
            .order_by_asc(listing::Column::ExternalId),
        page,
    )
    .await?;
    let items = rows
        .into_iter()
        .map(ListingView::build)
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paginated::new(items, page, total))
}

/// Matches a listing to one of its subject's products (`None` unmatches); returns the listing
/// and its version.
pub async fn match_listing(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    product_id: Option<Uuid>,
) -> AppResult<(ListingView, i32)> {
    let txn = begin_write(db).await?;
    let current: listing::Model = owned(&txn, actor, id, true).await?;
    if_match.check(current.version)?;
    if let Some(p) = product_id {
        let found = crate::db::unique(&txn, entity::product::Entity::find_by_id(p)).await?;
        if found.is_none_or(|p| p.subject_id != current.subject_id) {
            return Err(AppError::invalid(
                "product_id",
                "must be one of the subject's own products",
            ));
        }
    }
    if current.product_id == product_id {
        let v = current.version;
        return Ok((ListingView::build(current)?, v));
    }
    let before = ListingView::build(current.clone())?;
    let mut next = current.clone();
    next.product_id = product_id;
    let row = save_version(&txn, next).await?;
    let version = row.version;
    let after = ListingView::build(row)?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            "listing",
            id,
            Some(current.subject_id),
            "match",
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok((after, version))
}

/// Refuses a declared channel, or withdraws a verified one (administrators; auditors in scope),
/// with a reason and the day it takes effect: it leaves the queue until its owner changes what
/// it declares or sends new evidence.
pub async fn reject(
    db: &DatabaseConnection,
    actor: &Actor,
    id: Uuid,
    if_match: ExpectedVersion,
    input: RejectChannel,
) -> AppResult<ChannelView> {
    let txn = begin_write(db).await?;
    let current: channel::Model = owned(&txn, actor, id, true).await?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    if_match.check(current.version)?;
    let from: VerificationStatus = current.verification_status;
    // A declared channel refused, or a verified one withdrawn (the shop turned out not to be
    // the subject's, or not to sell its products).
    if !matches!(
        from,
        VerificationStatus::Declared | VerificationStatus::Verified
    ) {
        return Err(AppError::Conflict(msg!(
            "conflict-status-move",
            from = from.code(),
            to = VerificationStatus::Rejected.code()
        )));
    }
    let history = lifecycle::history(&txn, TRACKED, id).await?;
    if let Some(last) = lifecycle::last_effective(&history)
        && input.effective_on < last
    {
        return Err(AppError::invalid(
            "effective_on",
            msg!("field-not-before-previous-move", last = last),
        ));
    }
    let before = view(&txn, current.clone()).await?;
    lifecycle::record(
        &txn,
        actor,
        Move {
            entity: TRACKED,
            id,
            from: Some(from.into()),
            to: VerificationStatus::Rejected.into(),
            reason: Some(input.reason.trim().to_owned()),
            effective_on: input.effective_on,
            document_id: None,
        },
    )
    .await?;
    let mut next = current.clone();
    next.verification_status = VerificationStatus::Rejected;
    next.verified_on = None;
    next.verified_by = None;
    next.verification_note = None;
    let after = view(&txn, save_version(&txn, next).await?).await?;
    audit::record(
        &txn,
        actor,
        Change::updated(
            TRACKED.code(),
            id,
            Some(current.subject_id),
            "reject",
            &before,
            &after,
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
