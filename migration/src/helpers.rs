//! Small builders shared by the migrations.

use sea_orm_migration::prelude::*;

/// A foreign key `table.column → target.id`, named after the pair (restrict on delete: the
/// registry never deletes what others point to).
pub fn fk(table: &str, column: &str, target: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table.to_owned(), column.to_owned())
        .to(target.to_owned(), "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// An index named `ix_<table>_<cols>` (or `ux_` when unique).
pub async fn index(
    m: &SchemaManager<'_>,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let prefix = if unique { "ux" } else { "ix" };
    let mut stmt = Index::create()
        .name(format!("{prefix}_{table}_{}", cols.join("_")))
        .table(table.to_owned())
        .to_owned();
    for c in cols {
        stmt.col(Alias::new(*c));
    }
    if unique {
        stmt.unique();
    }
    m.create_index(stmt).await
}
