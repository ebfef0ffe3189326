//! The bare stack the registry is measured against (issue 15): Rocket 0.5 and SeaORM 2 alone,
//! reading or inserting one row of one table, on a database opened by the registry's own
//! `db::connect` (the same pool size, WAL and busy timeout on SQLite, the same session settings
//! on PostgreSQL). `scripts/load` starts it beside the registry and drives both alike.
//!
//! ```sh
//! cargo run --release --example bare_stack -- --database "sqlite:///tmp/bare.db?mode=rwc" --port 8001
//! ```
//! It prints the id of a row to read (`item <uuid>`) once it serves.

use clap::Parser;
use rocket::serde::json::Json;
use rocket::{State, get, post, routes};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};
use serde::{Deserialize, Serialize};

#[derive(Parser)]
struct Args {
    /// A SQLite or PostgreSQL URL.
    #[arg(long)]
    database: String,
    #[arg(long, default_value_t = 8001)]
    port: u16,
    /// Pool size (the registry's default).
    #[arg(long, default_value_t = 5)]
    pool: u32,
}

mod item {
    use sea_orm::entity::prelude::*;
    use serde::Serialize;

    /// One row of one table: a name and when it was written.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
    #[sea_orm(table_name = "bare_item")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

#[derive(Deserialize)]
struct NewItem {
    name: String,
}

#[derive(Serialize)]
struct Missing {
    error: &'static str,
}

#[get("/items/<id>")]
async fn read(
    db: &State<DatabaseConnection>,
    id: Uuid,
) -> Result<Json<item::Model>, rocket::response::status::NotFound<Json<Missing>>> {
    item::Entity::find_by_id(id)
        .one(db.inner())
        .await
        .ok()
        .flatten()
        .map(Json)
        .ok_or(rocket::response::status::NotFound(Json(Missing {
            error: "not found",
        })))
}

#[post("/items", data = "<body>")]
async fn create(
    db: &State<DatabaseConnection>,
    body: Json<NewItem>,
) -> Result<rocket::response::status::Created<Json<item::Model>>, rocket::http::Status> {
    let row = item::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(body.into_inner().name),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(db.inner())
    .await
    .map_err(|_| rocket::http::Status::InternalServerError)?;
    Ok(rocket::response::status::Created::new(format!("/items/{}", row.id)).body(Json(row)))
}

#[rocket::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = ocop_registry::db::connect(&args.database, args.pool, None).await?;
    let schema = sea_orm::Schema::new(db.get_database_backend());
    let mut table = schema.create_table_from_entity(item::Entity);
    db.execute(&*table.if_not_exists()).await?;
    let first = item::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set("Hàng mẫu".to_owned()),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&db)
    .await?;
    println!("item {}", first.id);
    let figment = rocket::Config::figment()
        .merge(("port", args.port))
        .merge(("address", "127.0.0.1"))
        .merge(("log_level", rocket::config::LogLevel::Off));
    rocket::custom(figment)
        .manage(db)
        .mount("/", routes![read, create])
        .launch()
        .await?;
    Ok(())
}
