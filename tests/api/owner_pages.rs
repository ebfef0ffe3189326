//! The owner's forms on `/me` (issue 13): the API's requests filled in as people write them, a
//! refusal shown next to its field with nothing saved, a certificate submitted with its scan,
//! a shop declared then connected through the marketplace in the owner's own session.

use rocket::http::Status;
use rocket::local::asynchronous::Client;
use serde_json::{Value, json};

use crate::connect::{consent, with_marketplaces};
use crate::documents::scanned_pdf;
use crate::fakes::{FakeLazada, FakeShopee};
use crate::helpers::{TestApp, id_of, multipart};
use crate::pages::{Html, account, csrf_of, page, sign_in_and_change};

/// Posts one of `/me`'s forms as a browser does (multipart, fields named `f[…]`).
async fn post(
    client: &Client,
    form: &str,
    csrf: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Html {
    let mut all: Vec<(String, String)> = vec![("csrf".to_owned(), csrf.to_owned())];
    all.extend(
        fields
            .iter()
            .map(|(k, v)| (format!("f[{}]", k.replace('.', "__")), (*v).to_owned())),
    );
    let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (ct, body) = multipart(&refs, file);
    let res = client
        .post(format!("/me/forms/{form}"))
        .header(ct)
        .body(body)
        .dispatch()
        .await;
    let status = res.status();
    let location = res.headers().get_one("Location").map(str::to_owned);
    Html {
        status,
        location,
        body: res.into_string().await.unwrap_or_default(),
        cookies: Vec::new(),
    }
}

/// The fields of a page's form as a browser would send them: every input's value, each
/// select's chosen option, each textarea's text (named `f[…]`, unescaped).
fn fields_of(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let unescape = |v: &str| {
        v.replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let attr = |tag: &str, name: &str| {
        let key = format!(" {name}=\"");
        tag.find(&key).map(|i| {
            let rest = &tag[i + key.len()..];
            unescape(&rest[..rest.find('"').unwrap()])
        })
    };
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').unwrap();
        let tag = &rest[..end];
        let name = attr(tag, "name").filter(|n| n.starts_with("f["));
        if let Some(name) = name {
            let key = name[2..name.len() - 1].replace("__", ".");
            if tag.starts_with("<input") {
                out.push((key, attr(tag, "value").unwrap_or_default()));
            } else if tag.starts_with("<textarea") {
                let body = &rest[end + 1..];
                out.push((key, unescape(&body[..body.find("</textarea>").unwrap()])));
            } else if tag.starts_with("<select") {
                let body = &rest[end + 1..rest.find("</select>").unwrap()];
                let chosen = body
                    .split("<option")
                    .find(|o| o.contains(" selected"))
                    .and_then(|o| attr(o, "value"))
                    .unwrap_or_default();
                out.push((key, chosen));
            }
        }
        rest = &rest[end..];
    }
    out
}

/// Posts a record's edit form with `changes` over what the page shows.
async fn edit(
    client: &Client,
    form: &str,
    id: &str,
    changes: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> Html {
    let page = page(client, &format!("/me?edit={form}:{id}")).await;
    assert_eq!(page.status, Status::Ok, "{}", page.body);
    let action = format!("/me/forms/{form}/{id}");
    let mut fields = fields_of(&page.body, &action);
    for (k, v) in changes {
        let slot = fields
            .iter_mut()
            .find(|(name, _)| name == k)
            .unwrap_or_else(|| panic!("no field {k}"));
        slot.1 = (*v).to_owned();
    }
    let version = {
        let at = page
            .body
            .find("name=\"version\" value=\"")
            .expect("the version")
            + 23;
        page.body[at..].split('"').next().unwrap().to_owned()
    };
    let mut all: Vec<(String, String)> = vec![
        ("csrf".to_owned(), csrf_of(&page.body)),
        ("version".to_owned(), version),
    ];
    all.extend(
        fields
            .into_iter()
            .map(|(k, v)| (format!("f[{}]", k.replace('.', "__")), v)),
    );
    let refs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (ct, body) = multipart(&refs, file);
    let res = client.post(action).header(ct).body(body).dispatch().await;
    let status = res.status();
    let location = res.headers().get_one("Location").map(str::to_owned);
    Html {
        status,
        location,
        body: res.into_string().await.unwrap_or_default(),
        cookies: Vec::new(),
    }
}

fn error_of<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"error-{id}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no error next to {id}: {html}"))
        + marker.len();
    html[at..].split('<').next().unwrap()
}

async fn signed_in_owner(app: &TestApp, admin: &str, subject: &Value) -> Client {
    let otp = account(
        app,
        admin,
        json!({"username": "htx.rau", "role": "owner", "subject_id": subject["id"],
               "display_name": "Lê Văn Rau"}),
    )
    .await;
    let client = app.another_instance().await.0;
    sign_in_and_change(&client, "htx.rau", &otp, "rau sạch Tân Thạnh 2025").await;
    client
}

#[rocket::async_test]
async fn an_owner_fills_in_its_forms_as_people_write_and_a_refusal_saves_nothing() {
    let shopee = FakeShopee::start(2).await;
    let lazada = FakeLazada::start(0).await;
    let app = with_marketplaces(&shopee, &lazada).await;
    let admin = app.admin().await;
    let s = app.seed_subject(&admin, "20335", "HTX Rau Tân Thạnh").await;
    let sid = id_of(&s);
    let client = signed_in_owner(&app, &admin, &s).await;
    let me = page(&client, "/me").await;
    assert_eq!(me.status, Status::Ok, "{}", me.body);
    for shown in [
        "Thêm sản phẩm",
        "Nộp chứng nhận (kèm bản chụp)",
        "Khai báo kênh bán hàng",
        "dd/mm/yyyy",
    ] {
        assert!(me.body.contains(shown), "{shown}");
    }
    let csrf = csrf_of(&me.body);

    // A product: a refusal names its field and keeps what was typed; then saved.
    let before = app.count("product").await;
    let refused = post(
        &client,
        "product",
        &csrf,
        &[("name", ""), ("group", "food"), ("description", "Rau cải")],
        None,
    )
    .await;
    assert_eq!(refused.status, Status::Ok, "{}", refused.body);
    assert!(!error_of(&refused.body, "product-name").is_empty());
    assert!(
        refused.body.contains(">Rau cải</textarea>"),
        "typed values stay"
    );
    assert!(refused.body.contains("<details id=\"form-product\" open>"));
    assert_eq!(app.count("product").await, before, "nothing saved");
    let saved = post(
        &client,
        "product",
        &csrf,
        &[("name", "Rau cải ngọt"), ("group", "food")],
        None,
    )
    .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/me?done=product#form-product"),
        "{}",
        saved.body
    );
    let products = app
        .get(&format!("/api/v1/subjects/{sid}/products"), Some(&admin))
        .await;
    assert_eq!(products.body["items"][0]["name"], "Rau cải ngọt");

    // An area with its linkage contract, hectares and dates as Vietnamese write them, its
    // boundary from a GeoJSON file; an impossible date is refused by its field first.
    let area = [
        ("name", "Vùng rau Tân Thạnh"),
        ("material", "Rau cải"),
        ("area_ha", "12,5"),
        ("tenure", "linked"),
        ("linkage.contract_no", "HĐLK-01/2025"),
        ("linkage.counterparty", "Tổ hợp tác rau an toàn"),
        ("linkage.counterparty_kind", "cooperative_group"),
        ("linkage.households", "45"),
        ("linkage.start_on", "01/01/2025"),
        ("linkage.end_on", "31/12/2029"),
    ];
    let geojson = br#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[108.48,15.57],[108.49,15.57],[108.49,15.58],[108.48,15.57]]]}}"#;
    let mut bad = area.to_vec();
    bad[9] = ("linkage.end_on", "31/02/2029");
    let refused = post(
        &client,
        "area",
        &csrf,
        &bad,
        Some(("vung.geojson", geojson)),
    )
    .await;
    assert_eq!(refused.status, Status::Ok);
    assert!(error_of(&refused.body, "area-linkage-end_on").contains("dd/mm/yyyy"));
    assert_eq!(app.count("raw_material_area").await, 0);
    let saved = post(
        &client,
        "area",
        &csrf,
        &area,
        Some(("vung.geojson", geojson)),
    )
    .await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    let areas = app
        .get(&format!("/api/v1/subjects/{sid}/areas"), Some(&admin))
        .await;
    let a = &areas.body["items"][0];
    assert_eq!(a["area_ha"], "12.5");
    assert_eq!(
        a["commune_id"], s["commune_id"],
        "blank: the subject's own commune"
    );
    assert_eq!(a["linkage"]["end_on"], "2029-12-31");
    assert_eq!(a["linkage"]["households"], 45);
    assert_eq!(a["geometry"]["type"], "Polygon");

    // The kinds of certificate are named in Vietnamese; the area shows where the auditor
    // stands on it.
    let me = page(&client, "/me").await;
    let areas_table = me
        .body
        .split("<table id=\"areas\"")
        .nth(1)
        .unwrap_or_default();
    let areas_table = areas_table.split("</table>").next().unwrap_or_default();
    assert!(areas_table.contains(">chờ thẩm định<"), "{areas_table}");
    assert!(me.body.contains("Hữu cơ (TCVN 11041"), "{}", me.body);
    assert!(!me.body.contains("Organic (TCVN"), "{}", me.body);
    // A certification with its scan: no hash typed, none but the registry's.
    let cert = [
        ("scheme", "vietgap"),
        ("certificate_no", "VG-2025-017"),
        ("issuer", "Trung tâm Chứng nhận Phù hợp QUACERT"),
        ("issued_on", "10/01/2025"),
        ("expires_on", "10/01/2027"),
        ("area_id", a["id"].as_str().unwrap()),
    ];
    let documents = app.count("document").await;
    let refused = post(
        &client,
        "certification",
        &csrf,
        &cert,
        Some(("scan.pdf", b"<html>not a scan</html>")),
    )
    .await;
    assert_eq!(refused.status, Status::Ok);
    assert!(error_of(&refused.body, "certification-evidence_document_id").contains("PDF, JPEG"));
    let big = [scanned_pdf("VG-2025-017"), vec![b' '; 10 * 1024 * 1024]].concat();
    let refused = post(
        &client,
        "certification",
        &csrf,
        &cert,
        Some(("scan.pdf", &big)),
    )
    .await;
    assert_eq!(refused.status, Status::Ok, "over the limit: on the form");
    assert!(
        refused.body.contains("lớn hơn giới hạn 10 MB"),
        "{}",
        refused.body
    );
    let refused = post(&client, "certification", &csrf, &cert, None).await;
    assert!(!error_of(&refused.body, "certification-evidence_document_id").is_empty());
    assert_eq!(
        app.count("document").await,
        documents,
        "no document kept for a refused form"
    );
    assert_eq!(app.count("certification").await, 0);
    let pdf = scanned_pdf("VG-2025-017");
    let saved = post(
        &client,
        "certification",
        &csrf,
        &cert,
        Some(("Giấy chứng nhận.pdf", &pdf)),
    )
    .await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    let certs = app
        .get(
            &format!("/api/v1/subjects/{sid}/certifications"),
            Some(&admin),
        )
        .await;
    let c = &certs.body["items"][0];
    assert_eq!(c["status"], "submitted");
    assert_eq!(c["area_id"], a["id"]);
    let doc = c["evidence_document_id"]
        .as_str()
        .expect("the scan is its evidence");
    let me = page(&client, "/me").await;
    assert!(
        me.body.contains(&format!("href=\"/documents/{doc}\"")),
        "{}",
        me.body
    );
    let file = client.get(format!("/documents/{doc}")).dispatch().await;
    assert_eq!(file.status(), Status::Ok);
    // Shown in the browser's viewer, not saved as a download.
    let disposition = file
        .headers()
        .get_one("Content-Disposition")
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("inline"), "{disposition}");
    assert_eq!(file.into_bytes().await.unwrap(), pdf);

    // Records are edited in place: the form starts with what is registered, as people write it,
    // and only what changed is sent.
    let area_id = a["id"].as_str().unwrap();
    let opened = page(&client, &format!("/me?edit=area:{area_id}")).await;
    assert!(
        opened.body.contains("<details id=\"form-edit\" open>"),
        "{}",
        opened.body
    );
    assert!(
        opened.body.contains("value=\"12,5\""),
        "hectares as Vietnamese write them"
    );
    assert!(opened.body.contains("value=\"31/12/2029\""));
    assert!(
        opened.body.contains("value=\"Phường Tân Thạnh\""),
        "the commune by its name"
    );
    let saved = edit(
        &client,
        "area",
        area_id,
        &[("area_ha", "13,75"), ("linkage.households", "52")],
        None,
    )
    .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/me?done=edit"),
        "{}",
        saved.body
    );
    let area = app
        .get(&format!("/api/v1/areas/{area_id}"), Some(&admin))
        .await;
    assert_eq!(area.body["area_ha"], "13.75");
    assert_eq!(area.body["linkage"]["households"], 52);
    assert_eq!(
        area.body["linkage"]["end_on"], "2029-12-31",
        "the rest of the contract stands"
    );
    assert_eq!(
        area.body["geometry"]["type"], "Polygon",
        "an edit without a file keeps the boundary"
    );
    let refused = edit(&client, "area", area_id, &[("area_ha", "-1")], None).await;
    assert_eq!(refused.status, Status::Ok);
    assert!(!error_of(&refused.body, "edit-area_ha").is_empty());
    assert_eq!(
        app.get(&format!("/api/v1/areas/{area_id}"), Some(&admin))
            .await
            .body["version"],
        area.body["version"]
    );

    // A verified certificate edited by its owner goes back to the auditor.
    let cert_id = c["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/certifications/{cert_id}/transitions"),
            Some(&admin),
            &json!({"to": "verified", "reason": "đối chiếu bản gốc", "effective_on": ocop_registry::clock::today().to_string()}),
        )
        .await;
    assert_eq!(r.status, Status::Ok, "{:?}", r.body);
    let renewed = scanned_pdf("VG-2025-017 gia hạn");
    let saved = edit(
        &client,
        "certification",
        cert_id,
        &[("expires_on", "10/01/2028")],
        Some(("gia-han.pdf", &renewed)),
    )
    .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/me?done=edit"),
        "{}",
        saved.body
    );
    let cert_now = app
        .get(&format!("/api/v1/certifications/{cert_id}"), Some(&admin))
        .await;
    assert_eq!(
        cert_now.body["status"], "submitted",
        "what the auditor saw changed"
    );
    assert_eq!(cert_now.body["expires_on"], "2028-01-10");
    assert_ne!(
        cert_now.body["evidence_document_id"], c["evidence_document_id"],
        "the new scan"
    );

    // A change of identity data is a request, with its reason and effective date.
    let today = ocop_registry::clock::today().format("%d/%m/%Y").to_string();
    let saved = post(
        &client,
        "identity",
        &csrf,
        &[
            ("changes.name", "HTX Rau sạch Tân Thạnh"),
            ("effective_on", &today),
            ("reason", "Đại hội thành viên đổi tên"),
        ],
        None,
    )
    .await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    let requests = app
        .get(
            &format!("/api/v1/change-requests?subject_id={sid}"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        requests.body["items"][0]["status"], "pending",
        "{:?}",
        requests.body
    );
    assert_eq!(
        requests.body["items"][0]["changes"]["name"],
        "HTX Rau sạch Tân Thạnh"
    );
    let subject = app
        .get(&format!("/api/v1/subjects/{sid}"), Some(&admin))
        .await;
    assert_eq!(
        subject.body["name"], "HTX Rau Tân Thạnh",
        "the department decides"
    );

    // A shop declared, then connected through Shopee in the owner's own session.
    let saved = post(
        &client,
        "channel",
        &csrf,
        &[
            ("kind", "marketplace"),
            ("platform", "Shopee"),
            ("shop_url", "https://shopee.vn/htx.rau"),
            ("active_from", "01/03/2024"),
        ],
        None,
    )
    .await;
    assert_eq!(saved.status, Status::SeeOther, "{}", saved.body);
    let channels = app
        .get(&format!("/api/v1/subjects/{sid}/channels"), Some(&admin))
        .await;
    let ch = channels.body["items"][0].clone();
    assert_eq!(ch["platform"], "shopee");
    let me = page(&client, "/me").await;
    assert!(
        me.body
            .contains(&format!("id=\"connect-{}\"", ch["id"].as_str().unwrap()))
    );
    // The registry's own page first names the subject the shop will be attached to.
    let confirm = crate::pages::form(
        &client,
        &format!("/me/channels/{}/connect", ch["id"].as_str().unwrap()),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(confirm.status, Status::Ok, "{}", confirm.body);
    assert!(
        confirm.body.contains("<strong>HTX Rau Tân Thạnh</strong>"),
        "{}",
        confirm.body
    );
    assert!(confirm.body.contains("https://shopee.vn/htx.rau"));
    let go = crate::pages::form(
        &client,
        &format!("/me/channels/{}/connect/go", ch["id"].as_str().unwrap()),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(go.status, Status::SeeOther, "{}", go.body);
    let back = consent(go.location.as_deref().unwrap()).await;
    // Someone else's browser (signed out) cannot finish it.
    let stranger = app.another_instance().await.0;
    let res = stranger.get(back.clone()).dispatch().await;
    assert_eq!(res.status(), Status::BadRequest);
    assert!(res.into_string().await.unwrap().contains("người khác"));
    // The link is spent; a fresh one in the owner's session goes through.
    let go = crate::pages::form(
        &client,
        &format!("/me/channels/{}/connect/go", ch["id"].as_str().unwrap()),
        &[("csrf", &csrf)],
    )
    .await;
    let back = consent(go.location.as_deref().unwrap()).await;
    let done = page(&client, &back).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/me?connected=true#channels"),
        "{}",
        done.body
    );
    let me = page(&client, "/me?connected=true").await;
    assert!(me.body.contains("Đã kết nối gian hàng"), "{}", me.body);
    assert!(me.body.contains("đã kết nối qua sàn"));
    assert!(
        me.body
            .contains(&format!("id=\"disconnect-{}\"", ch["id"].as_str().unwrap()))
    );
}
