//! `/imports`: a department's list uploaded from the browser — checked first (the dry run, as a
//! table of what each row would become), then applied. The import is the API's service.

use askama::Template;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::tokio::io::AsyncReadExt;
use rocket::{State, get, post};
use sea_orm::DatabaseConnection;

use super::page::{Chrome, Page, PageError, Viewer};
use crate::domain::Role;
use crate::error::AppError;
use crate::export::Download;
use crate::i18n::parse_date;
use crate::imports::dto::{ImportKind, ImportQuery, ImportSummary};

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    chrome: Chrome,
    kind: &'static str,
    /// Every kind of list, for the form's choice and the templates' links.
    kinds: Vec<&'static str>,
    on: String,
    partial: bool,
    summary: Option<ImportSummary>,
    error: Option<String>,
}

fn kind_of(s: &str) -> Option<(ImportKind, &'static str)> {
    s.parse::<ImportKind>().ok().map(|k| (k, k.code()))
}

fn render(
    viewer: &Viewer,
    kind: &'static str,
    on: String,
    partial: bool,
    summary: Option<ImportSummary>,
    error: Option<String>,
) -> Result<Page, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let chrome = viewer.chrome(viewer.lang.t("imports-title"));
    Page::render(&ImportsPage {
        chrome,
        kind,
        kinds: <ImportKind as strum::IntoEnumIterator>::iter()
            .map(ImportKind::code)
            .collect(),
        on,
        partial,
        summary,
        error,
    })
}

/// The upload form.
#[get("/imports?<kind>")]
pub fn imports_form(viewer: Viewer, kind: Option<&str>) -> Result<Page, PageError> {
    // Subjects first: every other list names subjects already registered.
    let kind = kind.and_then(kind_of).map_or("subjects", |(_, k)| k);
    render(&viewer, kind, String::new(), false, None, None)
}

/// The template of a kind of list, for the page's link.
#[get("/imports/template?<kind>&<format>")]
pub fn imports_template(viewer: Viewer, kind: &str, format: &str) -> Result<Download, PageError> {
    let actor = viewer.actor()?;
    actor.require(&[Role::Admin, Role::Auditor])?;
    let (kind, _) = kind_of(kind).ok_or_else(|| AppError::invalid("kind", "not a kind of list"))?;
    let sheets = crate::imports::template::sheets(kind, viewer.lang);
    super::page::as_download_all(&sheets, format, viewer.lang)
}

/// The form as sent: the file and how to read it.
#[derive(FromForm)]
pub struct UploadForm<'r> {
    csrf: &'r str,
    kind: &'r str,
    on: Option<&'r str>,
    partial: bool,
    /// `check` (the dry run) or `apply`.
    action: &'r str,
    file: TempFile<'r>,
}

/// Checks or applies an uploaded list and shows what each row became.
#[post("/imports", data = "<form>")]
pub async fn imports_upload(
    db: &State<DatabaseConnection>,
    viewer: Viewer,
    base: crate::http::BaseUrl,
    _slot: crate::limits::UploadSlot,
    form: Form<UploadForm<'_>>,
) -> Result<rocket::Either<(Status, Page), Download>, PageError> {
    viewer.check_csrf(form.csrf)?;
    let actor = viewer.actor()?;
    let lang = viewer.lang;
    let (kind, kind_key) =
        kind_of(form.kind).ok_or_else(|| AppError::invalid("kind", "not a kind of list"))?;
    let on_text = form.on.map(str::trim).unwrap_or_default().to_owned();
    let refuse = |message: String| {
        render(
            &viewer,
            kind_key,
            on_text.clone(),
            form.partial,
            None,
            Some(message),
        )
        .map(|p| rocket::Either::Left((Status::UnprocessableEntity, p)))
    };
    let on = if on_text.is_empty() {
        None
    } else {
        match parse_date(&on_text) {
            Some(d) => Some(d),
            None => return refuse(lang.t("date-invalid")),
        }
    };
    let mut bytes = Vec::new();
    if form.file.len() == 0 {
        return refuse(lang.t("imports-no-file"));
    }
    match form.file.open().await {
        Ok(mut f) => {
            f.read_to_end(&mut bytes)
                .await
                .map_err(|e| AppError::Internal(format!("upload: {e}")))?;
        }
        Err(e) => return Err(AppError::Internal(format!("upload: {e}")).into()),
    }
    // "Check and download the results": a dry run answered as the file with its results.
    let as_file = form.action == "result";
    let query = ImportQuery {
        kind,
        format: as_file.then_some(crate::export::Format::Xlsx),
        dry_run: form.action != "apply",
        partial: form.partial,
        on,
        unit_id: None,
        authority: None,
        sheet: None,
        lang: Some(lang),
    };
    match crate::imports::run(db.inner(), actor, &query, &bytes, lang, &|_, _| {}).await {
        Ok(summary) => {
            if let Some(sheet) = crate::imports::result::sheet(&summary, lang, &base.0) {
                let file = sheet
                    .download(crate::export::Format::Xlsx, lang)?
                    .ok_or_else(|| AppError::Internal("no result file".to_owned()))?;
                return Ok(rocket::Either::Right(file));
            }
            let status = if summary.errors.is_empty() {
                Status::Ok
            } else {
                Status::UnprocessableEntity
            };
            render(
                &viewer,
                kind_key,
                on_text.clone(),
                form.partial,
                Some(summary),
                None,
            )
            .map(|p| rocket::Either::Left((status, p)))
        }
        Err(e @ (AppError::Invalid { .. } | AppError::PayloadTooLarge { .. })) => {
            refuse(super::page::error_detail(&e, lang))
        }
        Err(e) => Err(e.into()),
    }
}
