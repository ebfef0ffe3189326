//! Indicator engine: versioned policy, frozen reports, the activity spans of listings (for
//! "an active listing seen within N days before D"), and the stored length of linkage
//! contracts (so the stable-area rule is one comparison in SQL on both databases).

use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("indicator_policy")
                .col(pk_uuid("id"))
                .col(integer("version"))
                .col(integer("min_linkage_months"))
                .col(boolean("growing_area_code_is_stable"))
                .col(text("value_chain_categories"))
                .col(text("modern_kinds"))
                .col(integer("channel_freshness_days"))
                .col(boolean("count_declared_channels"))
                // Targets in basis points (30 % = 3000): exact, and comparable in integers.
                .col(integer("value_chain_target_bp"))
                .col(integer("modern_channel_target_bp"))
                .col(text_null("note"))
                .col(string_len("created_by", 255))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        index(m, "indicator_policy", &["version"], true).await?;

        m.create_table(
            Table::create()
                .table("indicator_report")
                .col(pk_uuid("id"))
                .col(uuid("unit_id"))
                .col(date("as_of"))
                .col(integer("policy_version"))
                .col(timestamp_with_time_zone("computed_at"))
                .col(uuid_null("created_by_id"))
                .col(string_len("created_by", 255))
                .col(text("body"))
                .foreign_key(&mut fk("indicator_report", "unit_id", "unit"))
                .to_owned(),
        )
        .await?;
        index(m, "indicator_report", &["unit_id", "as_of"], false).await?;

        m.create_table(
            Table::create()
                .table("listing_span")
                .col(pk_uuid("id"))
                .col(uuid("listing_id"))
                .col(uuid("channel_id"))
                .col(timestamp_with_time_zone("from_at"))
                .col(timestamp_with_time_zone("to_at"))
                .foreign_key(&mut fk("listing_span", "listing_id", "listing"))
                .foreign_key(&mut fk("listing_span", "channel_id", "sales_channel"))
                .to_owned(),
        )
        .await?;
        index(m, "listing_span", &["channel_id", "to_at"], false).await?;
        index(m, "listing_span", &["listing_id", "to_at"], false).await?;

        m.alter_table(
            Table::alter()
                .table("raw_material_area")
                .add_column(integer_null("linkage_months"))
                .to_owned(),
        )
        .await?;
        // The span a listing that is active now is extending (null while not active).
        m.alter_table(
            Table::alter()
                .table("listing")
                .add_column(uuid_null("open_span_id"))
                .to_owned(),
        )
        .await?;
        backfill_linkage_months(m).await?;

        // The indicator queries look evidence up by subject and date.
        index(m, "sales_channel", &["subject_id", "kind"], false).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("listing")
                .drop_column("open_span_id")
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("raw_material_area")
                .drop_column("linkage_months")
                .to_owned(),
        )
        .await?;
        for t in ["listing_span", "indicator_report", "indicator_policy"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

/// Fills `linkage_months` for contracts recorded before this migration, with the rule the
/// application uses (`areas::dto::contract_months`): whole calendar months from the start to
/// the day after the last day covered.
async fn backfill_linkage_months(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::prelude::{Date, Uuid};
    let db = m.get_connection();
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, linkage_start_on, linkage_end_on FROM raw_material_area \
             WHERE linkage_start_on IS NOT NULL AND linkage_end_on IS NOT NULL",
        ))
        .await?;
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        let start: Date = row.try_get("", "linkage_start_on")?;
        let end: Date = row.try_get("", "linkage_end_on")?;
        let months = whole_months(start, end.succ_opt().unwrap_or(end));
        let mut update = Query::update();
        update
            .table("raw_material_area")
            .value("linkage_months", months)
            .and_where(Expr::col("id").eq(id));
        db.execute(&update).await?;
    }
    Ok(())
}

fn whole_months(start: chrono::NaiveDate, end: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut months = (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32;
    if months > 0
        && start
            .checked_add_months(chrono::Months::new(months as u32))
            .is_none_or(|d| d > end)
    {
        months -= 1;
    }
    months
}
