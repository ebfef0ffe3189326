//! A demonstration listing feed served by the registry itself in demo mode (`serve --demo`), so
//! a sync can be watched end to end with no internet: the generic feed format, two pages.

use rocket::get;
use rocket::serde::json::Json;
use serde_json::{Value, json};

/// Listings the demonstration shop carries.
pub const LISTINGS: usize = 150;

/// Routes mounted in demo mode only.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![demo_feed]
}

/// The demonstration shop's listings, 100 a page (`?cursor=` is the offset).
#[get("/demo/feed?<cursor>&<limit>")]
pub fn demo_feed(cursor: Option<usize>, limit: Option<usize>) -> Json<Value> {
    const TITLES: [&str; 5] = [
        "Trà sâm Ngọc Linh 100g",
        "Nước mắm cá cơm 500ml",
        "Mật ong rừng 300g",
        "Quế Trà My 200g",
        "Bánh tráng nướng",
    ];
    let start = cursor.unwrap_or(0).min(LISTINGS);
    let end = (start + limit.unwrap_or(100).clamp(1, 100)).min(LISTINGS);
    let items: Vec<Value> = (start..end)
        .map(|i| {
            json!({
                "id": format!("DEMO-{i:04}"),
                "title": TITLES[i % TITLES.len()],
                "price_vnd": (45_000 + 5_000 * (i % 20)).to_string(),
                "status": if i % 15 == 14 { "unlisted" } else { "active" },
                "updated_at": "2026-11-01T08:00:00Z",
            })
        })
        .collect();
    let next = (end < LISTINGS).then(|| end.to_string());
    Json(json!({"items": items, "next_cursor": next}))
}
