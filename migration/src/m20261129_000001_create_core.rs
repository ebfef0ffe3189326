//! Administrative units and their succession, tokens, subjects, products, recognitions, audit log.

use crate::helpers::{fk, index};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("unit")
                .col(pk_uuid("id"))
                .col(string_len("code", 16))
                .col(string_len("name", 255))
                .col(string_len("name_folded", 255))
                .col(string_len("level", 16))
                .col(string_len_null("unit_type", 32))
                .col(uuid_null("parent_id"))
                .col(date_null("valid_from"))
                .col(date_null("valid_to"))
                .col(text_null("note"))
                .foreign_key(&mut fk("unit", "parent_id", "unit"))
                .to_owned(),
        )
        .await?;
        index(m, "unit", &["code"], false).await?;
        index(m, "unit", &["parent_id"], false).await?;

        m.create_table(
            Table::create()
                .table("unit_link")
                .col(pk_uuid("id"))
                .col(uuid("from_unit_id"))
                .col(uuid("to_unit_id"))
                .col(date("effective_on"))
                .col(string_len("kind", 16))
                .col(text_null("basis"))
                .foreign_key(&mut fk("unit_link", "from_unit_id", "unit"))
                .foreign_key(&mut fk("unit_link", "to_unit_id", "unit"))
                .to_owned(),
        )
        .await?;
        index(m, "unit_link", &["from_unit_id", "to_unit_id"], true).await?;
        index(m, "unit_link", &["to_unit_id"], false).await?;

        m.create_table(
            Table::create()
                .table("subject")
                .col(pk_uuid("id"))
                .col(string_len("name", 255))
                .col(text("search_text"))
                .col(string_len("legal_form", 32))
                .col(string_len_null("tax_code", 20))
                .col(uuid("commune_id"))
                .col(text_null("address"))
                .col(string_len_null("representative", 255))
                .col(string_len_null("phone", 16))
                .col(string_len_null("email", 255))
                .col(boolean("woman_led"))
                .col(date_null("founded_on"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("subject", "commune_id", "unit"))
                .to_owned(),
        )
        .await?;
        index(m, "subject", &["tax_code"], true).await?;
        index(m, "subject", &["commune_id"], false).await?;

        m.create_table(
            Table::create()
                .table("api_token")
                .col(pk_uuid("id"))
                .col(string_len("name", 255))
                .col(string_len("role", 16))
                .col(uuid_null("unit_id"))
                .col(uuid_null("subject_id"))
                .col(string_len_null("platform", 32))
                .col(string_len("token_hash", 64))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk("api_token", "unit_id", "unit"))
                .foreign_key(&mut fk("api_token", "subject_id", "subject"))
                .to_owned(),
        )
        .await?;
        index(m, "api_token", &["token_hash"], true).await?;

        m.create_table(
            Table::create()
                .table("product")
                .col(pk_uuid("id"))
                .col(uuid("subject_id"))
                .col(string_len("name", 255))
                .col(string_len("name_folded", 255))
                .col(string_len("product_group", 16))
                .col(string_len_null("subgroup", 255))
                .col(text_null("description"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("product", "subject_id", "subject"))
                .to_owned(),
        )
        .await?;
        index(m, "product", &["subject_id"], false).await?;

        m.create_table(
            Table::create()
                .table("recognition")
                .col(pk_uuid("id"))
                .col(uuid("product_id"))
                .col(uuid("subject_id"))
                .col(small_integer("stars"))
                .col(boolean("potential_five_star"))
                .col(integer_null("score_centi"))
                .col(string_len("decision_no", 64))
                .col(date("decision_date"))
                .col(string_len("authority", 255))
                .col(string_len_null("batch", 64))
                .col(string_len("kind", 16))
                .col(date("valid_until"))
                .col(date_null("revoked_on"))
                .col(string_len_null("revocation_decision_no", 64))
                .col(text_null("revocation_reason"))
                .col(integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("recognition", "product_id", "product"))
                .foreign_key(&mut fk("recognition", "subject_id", "subject"))
                .to_owned(),
        )
        .await?;
        index(m, "recognition", &["product_id", "decision_no"], true).await?;
        // The indicator engine looks recognitions up by subject.
        index(m, "recognition", &["subject_id", "decision_date"], false).await?;

        m.create_table(
            Table::create()
                .table("audit_log")
                .col(pk_uuid("id"))
                .col(timestamp_with_time_zone("at"))
                .col(uuid_null("actor_id"))
                .col(string_len("actor_name", 255))
                .col(string_len("actor_role", 16))
                .col(string_len("entity", 32))
                .col(uuid("entity_id"))
                .col(uuid_null("subject_id"))
                .col(string_len("action", 32))
                .col(json_null("before"))
                .col(json_null("after"))
                .to_owned(),
        )
        .await?;
        index(m, "audit_log", &["entity", "entity_id"], false).await?;
        index(m, "audit_log", &["subject_id"], false).await?;
        index(m, "audit_log", &["at"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_log",
            "recognition",
            "product",
            "api_token",
            "subject",
            "unit_link",
            "unit",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
