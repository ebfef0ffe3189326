//! Evidence: raw-material areas (with linkage contracts), the certification-scheme catalogue,
//! certifications, sales channels, listings, and the status history shared by certifications
//! and channel verifications.

use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("raw_material_area")
                .col(pk_uuid("id"))
                .col(uuid("subject_id"))
                .col(string_len("name", 255))
                .col(uuid("commune_id"))
                .col(string_len("material", 255))
                .col(string_len_null("variety", 255))
                // Hectares × 10,000 (square metres): exact on SQLite, where decimals are REAL.
                .col(big_integer("area_m2"))
                .col(string_len("tenure", 16))
                .col(string_len_null("growing_area_code", 64))
                .col(date_null("valid_from"))
                .col(date_null("valid_to"))
                .col(text_null("geometry"))
                .col(string_len_null("linkage_contract_no", 64))
                .col(string_len_null("linkage_counterparty", 255))
                .col(string_len_null("linkage_counterparty_kind", 32))
                .col(integer_null("linkage_households"))
                .col(date_null("linkage_start_on"))
                .col(date_null("linkage_end_on"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("raw_material_area", "subject_id", "subject"))
                .foreign_key(&mut fk("raw_material_area", "commune_id", "unit"))
                .to_owned(),
        )
        .await?;
        index(m, "raw_material_area", &["subject_id"], false).await?;

        m.create_table(
            Table::create()
                .table("certification_scheme")
                .col(pk_uuid("id"))
                .col(string_len("code", 32))
                .col(string_len("name", 255))
                .col(string_len("category", 16))
                .col(text_null("description"))
                .col(integer_null("max_validity_months"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        index(m, "certification_scheme", &["code"], true).await?;

        m.create_table(
            Table::create()
                .table("certification")
                .col(pk_uuid("id"))
                .col(uuid("subject_id"))
                .col(uuid("scheme_id"))
                .col(string_len("certificate_no", 64))
                .col(string_len("issuer", 255))
                .col(date("issued_on"))
                .col(date("expires_on"))
                .col(text_null("evidence_url"))
                .col(string_len_null("evidence_sha256", 64))
                .col(uuid_null("product_id"))
                .col(uuid_null("area_id"))
                .col(string_len("status", 16))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("certification", "subject_id", "subject"))
                .foreign_key(&mut fk(
                    "certification",
                    "scheme_id",
                    "certification_scheme",
                ))
                .foreign_key(&mut fk("certification", "product_id", "product"))
                .foreign_key(&mut fk("certification", "area_id", "raw_material_area"))
                .to_owned(),
        )
        .await?;
        index(m, "certification", &["scheme_id", "certificate_no"], true).await?;
        index(m, "certification", &["subject_id"], false).await?;

        m.create_table(
            Table::create()
                .table("sales_channel")
                .col(pk_uuid("id"))
                .col(uuid("subject_id"))
                .col(string_len("kind", 32))
                .col(string_len("platform", 64))
                .col(text_null("shop_url"))
                .col(string_len_null("shop_id", 128))
                .col(date_null("active_from"))
                .col(date_null("active_to"))
                .col(text_null("evidence_url"))
                .col(string_len("verification_status", 16))
                .col(date_null("verified_on"))
                .col(string_len_null("verified_by", 255))
                .col(text_null("verification_note"))
                .col(timestamp_with_time_zone_null("last_observed_at"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("sales_channel", "subject_id", "subject"))
                .to_owned(),
        )
        .await?;
        index(m, "sales_channel", &["subject_id"], false).await?;

        m.create_table(
            Table::create()
                .table("listing")
                .col(pk_uuid("id"))
                .col(uuid("channel_id"))
                .col(uuid("subject_id"))
                .col(string_len("external_id", 128))
                .col(text("title"))
                .col(big_integer_null("price_vnd"))
                .col(string_len("status", 16))
                .col(uuid_null("product_id"))
                .col(timestamp_with_time_zone("first_seen_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("listing", "channel_id", "sales_channel"))
                .foreign_key(&mut fk("listing", "subject_id", "subject"))
                .foreign_key(&mut fk("listing", "product_id", "product"))
                .to_owned(),
        )
        .await?;
        index(m, "listing", &["channel_id", "external_id"], true).await?;

        m.create_table(
            Table::create()
                .table("status_event")
                .col(pk_uuid("id"))
                .col(string_len("entity", 32))
                .col(uuid("entity_id"))
                .col(integer("seq"))
                .col(string_len_null("from_status", 16))
                .col(string_len("to_status", 16))
                .col(text_null("reason"))
                .col(date("effective_on"))
                .col(uuid_null("actor_id"))
                .col(string_len("actor_name", 255))
                .col(timestamp_with_time_zone("at"))
                .to_owned(),
        )
        .await?;
        index(m, "status_event", &["entity", "entity_id", "seq"], true).await?;
        // "Status on day D" looks up the last event on or before D.
        index(
            m,
            "status_event",
            &["entity_id", "effective_on", "seq"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "status_event",
            "listing",
            "sales_channel",
            "certification",
            "certification_scheme",
            "raw_material_area",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
