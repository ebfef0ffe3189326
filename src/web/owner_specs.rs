//! The fields of the owner's forms on `/me` (`owner_forms`): each the API's own request, with
//! the choices of the owner's own records where a field names one.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::forms::{Input, Spec, options};
use crate::auth::Actor;
use crate::domain::{ChannelKind, CounterpartyKind, LegalForm, ProductGroup, Tenure};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::pagination::{MAX_PER_PAGE, PageParams};
use crate::{areas, products, schemes};

crate::domain::code_enum!(
    /// The owner's forms, in the order the page shows them. The code names a form in its path
    /// (`/me/forms/area`), its anchor (`#form-area`) and its words (`form-area-title`).
    OwnerForm { Product, Area, Certification, Channel, Identity }
);

impl OwnerForm {
    /// The form posted to `/me/forms/<form>`: an unknown name is a missing page.
    pub(super) fn named(form: &str) -> AppResult<OwnerForm> {
        form.parse().map_err(|_| AppError::not_found("form", form))
    }

    /// Whether the owner edits such records on its page (identity data goes through a request).
    pub(super) fn editable(self) -> bool {
        self != OwnerForm::Identity
    }
}

/// A form's fields, with the choices of the owner's own records where a field names one.
pub(super) async fn specs(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    form: OwnerForm,
    lang: Lang,
) -> AppResult<Vec<Spec>> {
    let t = |k: &str| lang.t(&format!("form-{k}"));
    let date_hint = || lang.t("form-date-hint");
    Ok(match form {
        OwnerForm::Product => vec![
            Spec::new("name", t("product-name"), Input::Text).required(),
            Spec::new(
                "group",
                t("product-group"),
                Input::Select(options::<ProductGroup>(
                    lang,
                    "product-group",
                    ProductGroup::code,
                    None,
                )),
            )
            .required(),
            Spec::new("subgroup", t("product-subgroup"), Input::Text),
            Spec::new("description", t("product-description"), Input::LongText),
        ],
        OwnerForm::Area => area_specs(lang),
        OwnerForm::Certification => certification_specs(db, actor, subject_id, lang).await?,
        OwnerForm::Channel => vec![
            Spec::new(
                "kind",
                t("channel-kind"),
                Input::Select(options::<ChannelKind>(
                    lang,
                    "kind",
                    ChannelKind::code,
                    None,
                )),
            )
            .required(),
            Spec::new("platform", t("channel-platform"), Input::Text)
                .required()
                .hint(lang.t("form-platform-hint")),
            Spec::new("shop_url", t("channel-url"), Input::Text),
            Spec::new("active_from", t("channel-from"), Input::Date).hint(date_hint()),
            Spec::new("active_to", t("channel-to"), Input::Date).hint(date_hint()),
        ],
        OwnerForm::Identity => vec![
            Spec::new("changes.name", t("identity-name"), Input::Text),
            Spec::new(
                "changes.legal_form",
                t("identity-legal-form"),
                Input::Select(options::<LegalForm>(
                    lang,
                    "legal",
                    LegalForm::code,
                    Some(lang.t("form-unchanged")),
                )),
            ),
            Spec::new("changes.tax_code", t("identity-tax-code"), Input::Text),
            Spec::new("changes.commune_id", t("identity-commune"), Input::Text)
                .hint(lang.t("form-area-commune-hint")),
            Spec::new("effective_on", t("identity-effective"), Input::Date)
                .required()
                .hint(date_hint()),
            Spec::new("reason", t("identity-reason"), Input::LongText).required(),
        ],
    })
}

/// A raw-material area: where, what and how much, how it is held, and its contract when linked.
fn area_specs(lang: Lang) -> Vec<Spec> {
    let t = |k: &str| lang.t(&format!("form-{k}"));
    let date_hint = || lang.t("form-date-hint");
    vec![
        Spec::new("name", t("area-name"), Input::Text).required(),
        Spec::new("commune_id", t("area-commune"), Input::Text)
            .shown_from("commune.name")
            .hint(lang.t("form-area-commune-hint")),
        Spec::new("material", t("area-material"), Input::Text).required(),
        Spec::new("variety", t("area-variety"), Input::Text),
        Spec::new("area_ha", t("area-hectares"), Input::Decimal)
            .required()
            .hint(lang.t("form-decimal-hint")),
        Spec::new(
            "tenure",
            t("area-tenure"),
            Input::Select(options::<Tenure>(lang, "tenure", Tenure::code, None)),
        )
        .required(),
        Spec::new("growing_area_code", t("area-code"), Input::Text),
        Spec::new("valid_from", t("area-valid-from"), Input::Date).hint(date_hint()),
        Spec::new("valid_to", t("area-valid-to"), Input::Date).hint(date_hint()),
        Spec::new("linkage.contract_no", t("linkage-number"), Input::Text)
            .hint(lang.t("form-linkage-hint")),
        Spec::new(
            "linkage.counterparty",
            t("linkage-counterparty"),
            Input::Text,
        ),
        Spec::new(
            "linkage.counterparty_kind",
            t("linkage-counterparty-kind"),
            Input::Select(options::<CounterpartyKind>(
                lang,
                "counterparty",
                CounterpartyKind::code,
                Some(String::new()),
            )),
        ),
        Spec::new(
            "linkage.households",
            t("linkage-households"),
            Input::Integer,
        ),
        Spec::new("linkage.start_on", t("linkage-start"), Input::Date).hint(date_hint()),
        Spec::new("linkage.end_on", t("linkage-end"), Input::Date).hint(date_hint()),
        Spec::new(
            "geometry",
            t("area-geometry"),
            Input::File(".geojson,.json,application/geo+json,application/json"),
        )
        .hint(lang.t("form-geometry-hint")),
    ]
}

/// A certification with its scan; the product or area it covers chosen among the owner's own.
async fn certification_specs(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    lang: Lang,
) -> AppResult<Vec<Spec>> {
    let t = |k: &str| lang.t(&format!("form-{k}"));
    let date_hint = || lang.t("form-date-hint");
    let schemes = schemes::service::list(db, actor)
        .await?
        .items
        .into_iter()
        .map(|s| {
            let name = lang.t_or(&format!("scheme-{}", s.code), &s.name);
            (s.code, name)
        })
        .collect();
    let all = PageParams::new(1, MAX_PER_PAGE);
    let none = lang.t("form-none");
    let own_products = std::iter::once((String::new(), none.clone()))
        .chain(
            products::service::list(db, actor, subject_id, &all)
                .await?
                .items
                .into_iter()
                .map(|p| (p.id.to_string(), p.name)),
        )
        .collect();
    let own_areas = std::iter::once((String::new(), none))
        .chain(
            areas::service::list(db, actor, subject_id, &all)
                .await?
                .items
                .into_iter()
                .map(|a| (a.id.to_string(), a.name)),
        )
        .collect();
    Ok(vec![
        Spec::new("scheme", t("cert-scheme"), Input::Select(schemes)).required(),
        Spec::new("certificate_no", t("cert-number"), Input::Text).required(),
        Spec::new("issuer", t("cert-issuer"), Input::Text).required(),
        Spec::new("issued_on", t("cert-issued"), Input::Date)
            .required()
            .hint(date_hint()),
        Spec::new("expires_on", t("cert-expires"), Input::Date)
            .required()
            .hint(date_hint()),
        Spec::new("product_id", t("cert-product"), Input::Select(own_products)),
        Spec::new("area_id", t("cert-area"), Input::Select(own_areas)),
        Spec::new(
            "evidence_document_id",
            t("cert-document"),
            Input::File("application/pdf,image/jpeg,image/png"),
        )
        .required()
        .hint(lang.t("form-document-hint")),
    ])
}

/// A form's fields when it edits a record: the same, but a certification's scan is needed only
/// to replace it.
pub(super) async fn edit_specs(
    db: &DatabaseConnection,
    actor: &Actor,
    subject_id: Uuid,
    form: OwnerForm,
    lang: Lang,
) -> AppResult<Vec<Spec>> {
    let mut specs = specs(db, actor, subject_id, form, lang).await?;
    for s in &mut specs {
        if matches!(s.input, Input::File(_)) {
            s.required = false;
        }
    }
    Ok(specs)
}
