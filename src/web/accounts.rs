//! Accounts on the pages (`/accounts`): administrators manage every account, auditors the
//! owners of the subjects in their unit — create (the one-time password shown once), find,
//! disable or enable, give a new one-time password. The API's own services do each.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::http::Status;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;
use uuid::Uuid;
use validator::Validate;

use super::page::{Chrome, Page, PageError, Viewer};
use super::reports::moment;
use crate::domain::{Role, UnitLevel};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pagination::PageParams;
use crate::users::dto::{CreateUser, UpdateUser, UserQuery};
use crate::{clock, subjects, units, users};

const PER_PAGE: u64 = 50;

/// An account as listed.
pub struct AccountRow {
    pub id: Uuid,
    pub username: String,
    pub name: String,
    pub role: String,
    pub place: String,
    pub status: String,
    pub disabled: bool,
    pub last_sign_in: String,
    /// The person's own account (nobody locks themselves out).
    pub own: bool,
}

/// A one-time password, shown this once.
pub struct Issued {
    pub message: String,
    pub password: String,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    q: String,
    accounts: Vec<AccountRow>,
    issued: Option<Issued>,
    done: Option<String>,
    error: Option<String>,
    /// Roles the viewer may create: (code, label).
    roles: Vec<(&'static str, String)>,
    /// Provinces of today, for an auditor's unit (administrators only).
    units: Vec<(Uuid, String)>,
    /// Subjects in reach, for an owner's subject: each with its tax code and commune, so that
    /// two cooperatives of one name are told apart.
    subjects: Vec<(Uuid, String)>,
    typed: Typed,
    prev: Option<String>,
    next: Option<String>,
}

/// What the page shows besides the list.
#[derive(Default)]
struct Outcome {
    issued: Option<Issued>,
    done: Option<String>,
    error: Option<String>,
    /// What was typed on a refused new account, given back as typed.
    typed: Typed,
}

/// The new-account form's values.
#[derive(Default, Clone)]
pub struct Typed {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_id: String,
    pub subject_id: String,
}

async fn render(
    db: &DatabaseConnection,
    viewer: &Viewer,
    q: &str,
    page_no: u64,
    outcome: Outcome,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let lang = viewer.lang;
    let query = UserQuery {
        q: Some(q.to_owned()).filter(|q| !q.is_empty()),
    };
    query.validate().map_err(AppError::from)?;
    let page = PageParams::new(page_no, PER_PAGE);
    let found = users::service::list(db, actor, &query, &page).await?;
    let accounts = account_rows(db, actor, lang, &found.items).await?;
    let Choices {
        roles,
        units,
        subjects,
    } = choices(db, actor, lang).await?;
    let pages = found.total.div_ceil(PER_PAGE).max(1);
    let href = |n: u64| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .append_pair("page", &n.to_string())
            .finish();
        format!("/accounts?{query}")
    };
    Page::render(&AccountsPage {
        chrome: viewer.chrome(lang.t("accounts-title")),
        q: q.to_owned(),
        accounts,
        issued: outcome.issued,
        done: outcome.done,
        error: outcome.error,
        roles,
        units,
        subjects,
        typed: outcome.typed,
        prev: (page_no > 1).then(|| href(page_no - 1)),
        next: (page_no < pages).then(|| href(page_no + 1)),
    })
}

/// The accounts of one page as the list shows them.
async fn account_rows(
    db: &DatabaseConnection,
    actor: &crate::auth::Actor,
    lang: Lang,
    items: &[crate::users::dto::UserView],
) -> Result<Vec<AccountRow>, PageError> {
    let unit_ids: Vec<Uuid> = items.iter().filter_map(|u| u.unit_id).collect();
    let unit_names = units::service::refs(db, &unit_ids).await?;
    let subject_ids: Vec<Uuid> = items.iter().filter_map(|u| u.subject_id).collect();
    let subject_names = subjects::service::by_ids(db, actor, &subject_ids).await?;
    Ok(items
        .iter()
        .map(|u| AccountRow {
            own: actor.user_id == Some(u.id),
            id: u.id,
            username: u.username.clone(),
            name: u.display_name.clone(),
            role: lang.t(&format!("role-{}", u.role.code())),
            place: u
                .unit_id
                .and_then(|id| unit_names.get(&id).map(|r| r.name.clone()))
                .or_else(|| {
                    u.subject_id
                        .and_then(|id| subject_names.get(&id).map(|s| s.name.clone()))
                })
                .unwrap_or_default(),
            status: if u.disabled {
                lang.t("accounts-disabled")
            } else if u.must_change_password {
                lang.t("accounts-one-time")
            } else {
                lang.t("accounts-active")
            },
            disabled: u.disabled,
            last_sign_in: u
                .last_sign_in_at
                .map(|at| moment(lang, at))
                .unwrap_or_else(|| lang.t("accounts-never")),
        })
        .collect())
}

/// What the creation form offers the viewer.
struct Choices {
    roles: Vec<(&'static str, String)>,
    units: Vec<(Uuid, String)>,
    subjects: Vec<(Uuid, String)>,
}

/// The roles, units and subjects the viewer may give a new account.
async fn choices(
    db: &DatabaseConnection,
    actor: &crate::auth::Actor,
    lang: Lang,
) -> Result<Choices, PageError> {
    let admin = actor.role == Role::Admin;
    let roles = if admin {
        vec![Role::Owner, Role::Auditor, Role::Admin]
    } else {
        vec![Role::Owner]
    }
    .into_iter()
    .map(|r| (r.code(), lang.t(&format!("role-{}", r.code()))))
    .collect();
    let units = if admin {
        let provinces = units::service::list(
            db,
            &units::dto::UnitQuery {
                level: Some(UnitLevel::Province),
                on: Some(clock::today()),
                ..Default::default()
            },
            &PageParams::new(1, 100),
        )
        .await?;
        provinces
            .items
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    } else {
        Vec::new()
    };
    let subjects =
        subjects::service::list(db, actor, &Default::default(), &PageParams::new(1, 1000))
            .await?
            .items
            .into_iter()
            .map(|s| {
                let particulars: Vec<String> = [
                    s.tax_code.clone(),
                    s.commune.as_ref().map(|c| c.name.clone()),
                ]
                .into_iter()
                .flatten()
                .collect();
                let label = match particulars.is_empty() {
                    true => s.name,
                    false => format!("{} — {}", s.name, particulars.join(" — ")),
                };
                (s.id, label)
            })
            .collect();
    Ok(Choices {
        roles,
        units,
        subjects,
    })
}

/// The accounts the person manages.
#[get("/accounts?<q>&<page>&<done>")]
pub async fn accounts(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    q: Option<&str>,
    page: Option<u64>,
    done: Option<&str>,
) -> Result<Page, PageError> {
    let done = done
        .filter(|d| ["disabled", "enabled"].contains(d))
        .map(|d| viewer.lang.t(&format!("accounts-done-{d}")));
    let outcome = Outcome {
        done,
        ..Default::default()
    };
    let q = q.map(str::trim).unwrap_or_default();
    render(
        db.inner(),
        &viewer,
        q,
        page.unwrap_or(1).clamp(1, crate::pagination::MAX_PAGE),
        outcome,
    )
    .await
}

#[derive(FromForm)]
pub struct NewAccount<'r> {
    csrf: &'r str,
    username: &'r str,
    display_name: &'r str,
    role: &'r str,
    unit_id: Option<&'r str>,
    subject_id: Option<&'r str>,
}

/// A page answer: the list again, with what happened (`200`) or why not (`422`).
type Answer = Result<(Status, Page), PageError>;

async fn answer(
    db: &DatabaseConnection,
    viewer: &Viewer,
    result: Result<Outcome, AppError>,
    typed: Typed,
) -> Answer {
    match result {
        Ok(outcome) => Ok((Status::Ok, render(db, viewer, "", 1, outcome).await?)),
        Err(
            e @ (AppError::Invalid { .. } | AppError::Conflict(_) | AppError::BadRequest { .. }),
        ) => {
            let outcome = Outcome {
                error: Some(super::page::error_detail(&e, viewer.lang)),
                typed,
                ..Default::default()
            };
            Ok((
                Status::UnprocessableEntity,
                render(db, viewer, "", 1, outcome).await?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

fn issued(lang: Lang, key: &str, username: &str, password: String) -> Issued {
    Issued {
        message: lang.tf(key, &[("username", username.to_owned())]),
        password,
    }
}

/// Creates an account; its one-time password is shown on this answer only.
#[post("/accounts/new", data = "<form>")]
pub async fn create(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    form: Form<NewAccount<'_>>,
) -> Answer {
    let session = viewer.check_csrf(form.csrf)?;
    let lang = viewer.lang;
    let result = async {
        let role = match form.role {
            "owner" => Role::Owner,
            "auditor" => Role::Auditor,
            "admin" => Role::Admin,
            _ => return Err(AppError::invalid("role", lang.t("accounts-role-invalid"))),
        };
        let id = |field: &str, raw: Option<&str>| -> Result<Option<Uuid>, AppError> {
            match raw.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => Uuid::parse_str(s)
                    .map(Some)
                    .map_err(|_| AppError::invalid(field, lang.t("accounts-choose"))),
            }
        };
        let input = CreateUser {
            username: form.username.trim().to_lowercase(),
            role,
            unit_id: id("unit_id", form.unit_id)?.filter(|_| role == Role::Auditor),
            subject_id: id("subject_id", form.subject_id)?.filter(|_| role == Role::Owner),
            display_name: form.display_name.to_owned(),
        };
        input.validate()?;
        let created = users::service::create(db.inner(), &session.actor, input, None).await?;
        Ok(Outcome {
            issued: Some(issued(
                lang,
                "accounts-created",
                &created.user.username,
                created.one_time_password,
            )),
            ..Default::default()
        })
    }
    .await;
    let typed = Typed {
        username: form.username.to_owned(),
        display_name: form.display_name.to_owned(),
        role: form.role.to_owned(),
        unit_id: form.unit_id.unwrap_or_default().to_owned(),
        subject_id: form.subject_id.unwrap_or_default().to_owned(),
    };
    answer(db.inner(), &viewer, result, typed).await
}

#[derive(FromForm)]
pub struct AccountAction<'r> {
    csrf: &'r str,
}

/// Disables, enables or gives a new one-time password to an account.
#[post("/accounts/<id>/<action>", data = "<form>")]
pub async fn act(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    id: Uuid,
    action: &str,
    form: Form<AccountAction<'_>>,
) -> Result<rocket::Either<rocket::response::Redirect, (Status, Page)>, PageError> {
    let session = viewer.check_csrf(form.csrf)?;
    let lang = viewer.lang;
    let actor = &session.actor;
    let disabled = match action {
        "disable" => true,
        "enable" => false,
        "reset" => {
            let result = users::service::reset_password(db.inner(), actor, id)
                .await
                .map(|r| Outcome {
                    issued: Some(issued(
                        lang,
                        "accounts-reset",
                        &r.user.username,
                        r.one_time_password,
                    )),
                    ..Default::default()
                });
            return answer(db.inner(), &viewer, result, Typed::default())
                .await
                .map(rocket::Either::Right);
        }
        _ => return Err(AppError::not_found("page", action).into()),
    };
    let input = UpdateUser {
        display_name: None,
        disabled: Some(disabled),
    };
    users::service::update(db.inner(), actor, id, None, input).await?;
    let done = if disabled { "disabled" } else { "enabled" };
    Ok(rocket::Either::Left(rocket::response::Redirect::to(
        format!("/accounts?done={done}"),
    )))
}
