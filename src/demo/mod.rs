//! `serve --demo`: fills an empty database with made-up subjects over real Quảng Nam communes,
//! through the same services (and validations, and audit trail) as the API, then prints one
//! fresh token per role. Deterministic: the same data on every machine.

mod evidence;
mod places;
mod registry;

use chrono::NaiveDate;
use entity::subject;
use rand::Rng;
use rand::rngs::StdRng;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::auth::Actor;
use crate::channels;
use crate::channels::dto::CreateChannel;
use crate::domain::ChannelKind;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::tokens::dto::CreateToken;
use crate::units::dataset::unit_id;

/// How many subjects the demo registers.
pub const DEMO_SUBJECTS: usize = 200;

/// A valid 10-digit tax code beginning with Quảng Nam's tax-office prefix 40.
pub fn tax_code(rng: &mut StdRng) -> String {
    const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
    loop {
        let mut d = vec![4u32, 0];
        for _ in 0..7 {
            d.push(rng.random_range(0..10));
        }
        let sum: u32 = WEIGHTS.iter().zip(&d).map(|(w, x)| w * x).sum();
        let check = 10 - sum % 11;
        if check < 10 {
            d.push(check);
            return d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn fail(e: AppError) -> AppError {
    AppError::Internal(format!(
        "demo data rejected: {}",
        e.body(crate::i18n::Lang::of_env())
            .error
            .message_with_fields()
    ))
}

/// Loads the demo data when the registry holds no subject, then prints fresh tokens and how to
/// try them against `base_url`, where the registry will listen.
pub async fn run(db: &DatabaseConnection, base_url: &str) -> AppResult<()> {
    let existing = subject::Entity::find().count(db).await?;
    if existing == 0 {
        let c = registry::load(db).await?;
        println!(
            "Demo data loaded: {} subjects, {} products, {} recognitions, {} raw-material areas, \
             {} certifications, {} sales channels.",
            c.subjects, c.products, c.recognitions, c.areas, c.certifications, c.channels
        );
    } else {
        println!("The database already holds {existing} subjects: no demo data added.");
    }
    print_tokens(db, base_url).await
}

/// How much the demo loaded.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    subjects: usize,
    products: usize,
    recognitions: usize,
    areas: usize,
    certifications: usize,
    channels: usize,
}

async fn print_tokens(db: &DatabaseConnection, base_url: &str) -> AppResult<()> {
    let actor = Actor::system("Dữ liệu mẫu của hệ thống");
    let quang_nam = unit_id("province", "49", None);
    let owner_subject: Option<Uuid> = subject::Entity::find()
        .order_by_asc(subject::Column::CreatedAt)
        .one(db)
        .await?
        .map(|s| s.id);
    let token = |role, unit_id, subject_id, platform: Option<&str>, name: &str| CreateToken {
        role,
        unit_id,
        subject_id,
        platform: platform.map(str::to_owned),
        name: Some(name.to_owned()),
    };
    let wanted = [
        token(Role::Admin, None, None, None, "demo administrator"),
        token(
            Role::Auditor,
            Some(quang_nam),
            None,
            None,
            "demo auditor, Quảng Nam",
        ),
        token(Role::Owner, None, owner_subject, None, "demo owner"),
        token(Role::Channel, None, None, Some("feed"), "demo channel feed"),
    ];
    println!("Tokens for this demo (shown once; the registry stores only their hashes):");
    for input in wanted {
        let scope = match (&input.unit_id, &input.subject_id, &input.platform) {
            (Some(_), _, _) => " (unit 49 Tỉnh Quảng Nam and its successors)".to_owned(),
            (_, Some(s), _) => format!(" (subject {s})"),
            (_, _, Some(p)) => format!(" (platform {p})"),
            _ => String::new(),
        };
        let role = input.role;
        let created = crate::tokens::service::create(db, &actor, input).await?;
        println!("  {:<8} {}{scope}", role.code(), created.secret);
    }
    println!("Try: curl -H 'Authorization: Bearer <admin token>' {base_url}/api/v1/subjects");
    print_users(db, &actor, quang_nam, owner_subject, base_url).await
}

/// One account per role for the pages, each with a fresh one-time password (an account kept
/// from an earlier start gets a new one).
async fn print_users(
    db: &DatabaseConnection,
    actor: &Actor,
    quang_nam: Uuid,
    owner_subject: Option<Uuid>,
    base_url: &str,
) -> AppResult<()> {
    use crate::users::dto::CreateUser;
    let wanted = [
        ("admin", "Quản trị viên (demo)", Role::Admin, None, None),
        (
            "kiemtra.quangnam",
            "Cán bộ thẩm định Quảng Nam (demo)",
            Role::Auditor,
            Some(quang_nam),
            None,
        ),
        (
            "chuthe",
            "Chủ thể OCOP (demo)",
            Role::Owner,
            None,
            owner_subject,
        ),
    ];
    println!(
        "Sign in at {base_url}/login (one-time passwords, to be changed at the first sign-in):"
    );
    for (username, display_name, role, unit_id, subject_id) in wanted {
        let existing = entity::app_user::Entity::find()
            .filter(entity::app_user::Column::Username.eq(username))
            .one(db)
            .await?;
        let created = match existing {
            Some(u) => crate::users::service::reset_password(db, actor, u.id).await?,
            None => {
                let input = CreateUser {
                    username: username.to_owned(),
                    display_name: display_name.to_owned(),
                    role,
                    unit_id,
                    subject_id,
                };
                crate::users::service::create(db, actor, input, None).await?
            }
        };
        println!(
            "  {:<8} {username} / {}",
            role.code(),
            created.one_time_password
        );
    }
    Ok(())
}

/// The demonstration shop: a channel of the first subject read from the registry's own demo
/// feed (created once; returns its id).
pub async fn feed_channel(db: &DatabaseConnection, feed_url: &str) -> AppResult<Uuid> {
    let actor = Actor::system("Dữ liệu mẫu của hệ thống");
    let existing = entity::channel_connection::Entity::find()
        .filter(entity::channel_connection::Column::Connector.eq("feed"))
        .one(db)
        .await?;
    let channel_id = match existing {
        Some(c) => c.channel_id,
        None => {
            let subject = subject::Entity::find()
                .order_by_asc(subject::Column::CreatedAt)
                .one(db)
                .await?
                .ok_or_else(|| AppError::Internal("no subject for the demo shop".to_owned()))?;
            channels::service::create(
                db,
                &actor,
                subject.id,
                CreateChannel {
                    kind: ChannelKind::Marketplace,
                    platform: "feed".to_owned(),
                    shop_url: Some(feed_url.to_owned()),
                    shop_id: Some("demo-shop".to_owned()),
                    active_from: Some(date(2025, 1, 1)),
                    active_to: None,
                    evidence_url: None,
                    evidence_document_id: None,
                    submitted_on: None,
                },
            )
            .await?
            .id
        }
    };
    let settings = crate::sync::SyncSettings::from_config(&crate::config::AppConfig::default())
        .map_err(AppError::Internal)?;
    // The address can change between runs: point the connection at this one.
    crate::sync::connection::put(
        db,
        &settings,
        &actor,
        channel_id,
        crate::sync::dto::ConnectionInput {
            connector: crate::sync::dto::ConnectorKind::Feed,
            base_url: Some(feed_url.to_owned()),
            partner_id: None,
            shop_id: None,
            app_secret: None,
            access_token: None,
            refresh_token: None,
            token_expires_at: None,
            webhook_secret: None,
            rate_limit_per_minute: Some(600),
            sync_interval_minutes: Some(60),
        },
    )
    .await?;
    Ok(channel_id)
}

/// Runs the demo shop's sync once the server listens, and prints what it did.
pub fn sync_at_liftoff(channel_id: Uuid) -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_liftoff("demo sync", move |rocket| {
        Box::pin(async move {
            let (Some(db), Some(settings)) = (
                rocket.state::<DatabaseConnection>().cloned(),
                rocket.state::<crate::sync::SyncSettings>().cloned(),
            ) else {
                return;
            };
            tokio::spawn(async move {
                let options = crate::sync::dto::SyncOptions { full: Some(true) };
                let trigger = crate::domain::RunTrigger::Demo;
                match crate::sync::runs::run(&db, &settings, channel_id, trigger, &options).await {
                    Ok(r) => println!(
                        "Demo sync of channel {channel_id} from the built-in feed: {} ({} pages, {} listings seen, {} added). See GET /api/v1/sync-runs and /api/v1/channels/{channel_id}/listings.",
                        r.status, r.pages, r.items_seen, r.added
                    ),
                    Err(e) => println!("Demo sync failed: {e}"),
                }
            });
        })
    })
}
