//! The fields of the department's forms on its subject pages (`subject_forms`): registering a
//! subject, and on a subject's file its identity, a product, a star recognition and a
//! revocation; each form's shape, filled in with what stands.

use std::collections::HashMap;

use sea_orm::DatabaseConnection;
use strum::IntoEnumIterator;
use uuid::Uuid;

use super::forms::{self, Input, Refusal, Shape, Spec, options};
use crate::auth::Actor;
use crate::domain::{LegalForm, ProductGroup, RecognitionKind};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::pagination::{MAX_PER_PAGE, PageParams};
use crate::{products, subjects, units};

crate::domain::code_enum!(
    /// The department's forms: registering a subject (`/subjects`), then those of a subject's
    /// file, in the order the page shows them. The code names a form in its path
    /// (`/subjects/{id}/forms/revoke`), its anchor and its words.
    StaffForm { Subject, Identity, Product, Recognition, Revoke }
);

impl StaffForm {
    /// A form of a subject's file, as its path names it: an unknown name is a missing page.
    pub(super) fn on_file(form: &str) -> AppResult<StaffForm> {
        form.parse()
            .ok()
            .filter(|f| *f != StaffForm::Subject)
            .ok_or_else(|| AppError::not_found("form", form))
    }
}

/// A field's label: the programme's word for it.
fn label(lang: Lang, name: &str) -> String {
    lang.t(&format!("label-{name}"))
}

/// A date field, with how to write a date.
fn date_field(lang: Lang, name: &'static str) -> Spec {
    Spec::new(name, label(lang, name), Input::Date).hint(lang.t("form-date-hint"))
}

/// The identity fields, as registering asks them and as an edit shows them.
fn identity_specs(lang: Lang) -> Vec<Spec> {
    vec![
        Spec::new("name", label(lang, "name"), Input::Text).required(),
        Spec::new(
            "legal_form",
            label(lang, "legal_form"),
            Input::Select(options::<LegalForm>(lang, "legal", LegalForm::code, None)),
        )
        .required(),
        Spec::new("tax_code", label(lang, "tax_code"), Input::Text),
        Spec::new("commune_id", label(lang, "commune_id"), Input::Text)
            .required()
            .shown_from("commune.name")
            .list("communes")
            .hint(lang.t("staff-form-commune-hint")),
    ]
}

/// A form's fields; a recognition's products and a revocation's recognitions are the subject's.
pub(super) async fn specs(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Option<Uuid>,
    form: StaffForm,
    lang: Lang,
) -> AppResult<Vec<Spec>> {
    let all = PageParams::new(1, MAX_PER_PAGE);
    Ok(match (form, subject_id) {
        (StaffForm::Subject, None) => {
            let mut specs = identity_specs(lang);
            for name in ["address", "representative", "phone", "email"] {
                specs.push(Spec::new(name, label(lang, name), Input::Text));
            }
            specs.push(date_field(lang, "founded_on"));
            specs
        }
        (StaffForm::Identity, Some(_)) => {
            let mut specs = identity_specs(lang);
            specs.push(date_field(lang, "effective_on").required());
            specs
        }
        (StaffForm::Product, Some(_)) => vec![
            Spec::new("name", label(lang, "name"), Input::Text).required(),
            Spec::new(
                "group",
                label(lang, "group"),
                Input::Select(options::<ProductGroup>(
                    lang,
                    "product-group",
                    ProductGroup::code,
                    None,
                )),
            )
            .required(),
            Spec::new("subgroup", lang.t("form-product-subgroup"), Input::Text),
            Spec::new(
                "description",
                lang.t("form-product-description"),
                Input::LongText,
            ),
        ],
        (StaffForm::Recognition, Some(id)) => recognition_specs(db, actor, id, lang).await?,
        (StaffForm::Revoke, Some(id)) => {
            let mut standing = Vec::new();
            for p in products::service::list(db, actor, id, &all).await?.items {
                for r in products::service::list_recognitions(db, actor, p.id, &all)
                    .await?
                    .items
                    .into_iter()
                    .filter(|r| r.revoked_on.is_none())
                {
                    standing.push((
                        r.id.to_string(),
                        format!(
                            "{} · {} · {} {}",
                            p.name,
                            lang.tf("me-stars", &[("stars", r.stars.to_string())]),
                            r.decision_no,
                            lang.date(r.decision_date)
                        ),
                    ));
                }
            }
            vec![
                Spec::new(
                    "recognition_id",
                    label(lang, "recognition_id"),
                    Input::Select(standing),
                )
                .required(),
                date_field(lang, "revoked_on").required(),
                Spec::new("decision_no", label(lang, "decision_no"), Input::Text).required(),
                Spec::new("reason", label(lang, "reason"), Input::LongText).required(),
            ]
        }
        _ => return Err(AppError::not_found("form", form.code())),
    })
}

/// A star recognition of one of the subject's products, as its decision records it.
async fn recognition_specs(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    lang: Lang,
) -> AppResult<Vec<Spec>> {
    let all = PageParams::new(1, MAX_PER_PAGE);
    let products = products::service::list(db, actor, subject_id, &all)
        .await?
        .items
        .into_iter()
        .map(|p| (p.id.to_string(), p.name))
        .collect();
    let stars = (3..=5)
        .map(|n| {
            (
                n.to_string(),
                lang.tf("me-stars", &[("stars", n.to_string())]),
            )
        })
        .collect();
    Ok(vec![
        Spec::new(
            "product_id",
            label(lang, "product_id"),
            Input::Select(products),
        )
        .required(),
        Spec::new("stars", label(lang, "stars"), Input::Select(stars)).required(),
        Spec::new(
            "potential_five_star",
            label(lang, "potential_five_star"),
            Input::Select(vec![
                ("false".into(), lang.t("answer-no")),
                ("true".into(), lang.t("answer-yes")),
            ]),
        ),
        Spec::new(
            "kind",
            label(lang, "recognition_kind"),
            Input::Select(options::<RecognitionKind>(
                lang,
                "recognition-kind",
                RecognitionKind::code,
                None,
            )),
        )
        .required(),
        Spec::new("decision_no", label(lang, "decision_no"), Input::Text).required(),
        date_field(lang, "decision_date").required(),
        Spec::new("authority", label(lang, "authority"), Input::Text)
            .required()
            .hint(lang.t("staff-form-authority-hint")),
        Spec::new("score", label(lang, "score"), Input::Decimal),
        Spec::new("batch", label(lang, "batch"), Input::Text),
        date_field(lang, "valid_until").hint(lang.t("staff-form-valid-until-hint")),
    ])
}

/// The register form of `/subjects`.
pub async fn register_shape(
    db: &DatabaseConnection,
    actor: &Actor,
    refusal: Option<&Refusal>,
    lang: Lang,
) -> AppResult<Shape> {
    let specs = specs(db, actor, None, StaffForm::Subject, lang).await?;
    let mut shape = forms::shape(
        "subject",
        lang.t("staff-form-subject-title"),
        lang.t("staff-form-subject-submit"),
        specs,
        refusal,
        None,
    );
    shape.action = "/subjects/new".to_owned();
    Ok(shape)
}

/// The forms of a subject's file: identity filled in with what stands, a revocation with the
/// recognition chosen from the table (`revoke`), the refused one open as typed.
pub async fn shapes(
    db: &DatabaseConnection,
    actor: &Actor,
    subject: &subjects::dto::SubjectView,
    refusal: Option<&Refusal>,
    revoke: Option<Uuid>,
    lang: Lang,
) -> AppResult<Vec<Shape>> {
    let mut out = Vec::new();
    for form in StaffForm::iter().filter(|f| *f != StaffForm::Subject) {
        let specs = specs(db, actor, Some(subject.id), form, lang).await?;
        let values = match form {
            StaffForm::Identity => Some(identity_values(db, &specs, subject, lang).await?),
            StaffForm::Revoke => {
                revoke.map(|r| HashMap::from([("recognition_id".into(), r.to_string())]))
            }
            _ => None,
        };
        let mut shape = forms::shape(
            form.code(),
            lang.t(&format!("staff-form-{form}-title")),
            lang.t(&format!("staff-form-{form}-submit")),
            specs,
            refusal,
            values.as_ref(),
        );
        shape.action = format!("/subjects/{}/forms/{form}", subject.id);
        // Identity stands filled in, but folded until someone opens it.
        shape.open = refusal.is_some_and(|r| r.form == form.code())
            || (form == StaffForm::Revoke && revoke.is_some());
        if form == StaffForm::Identity {
            shape.version = Some(subject.version);
        }
        out.push(shape);
    }
    Ok(out)
}

/// The identity form's starting values: the subject as it stands (its commune as its picker
/// choice, which reads back as the same unit).
pub(super) async fn identity_values(
    db: &DatabaseConnection,
    specs: &[Spec],
    s: &subjects::dto::SubjectView,
    lang: Lang,
) -> AppResult<HashMap<String, String>> {
    let view = serde_json::to_value(s).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut values = forms::prefill(specs, &view, lang);
    let graph = crate::unit_graph::UnitGraph::load(db).await?;
    if let Some(choice) = units::service::choice_of(&graph, s.commune_id) {
        values.insert("commune_id".into(), choice);
    }
    Ok(values)
}
