//! Whether a form came from this registry's own pages.

use crate::error::AppError;

/// A form sent from this registry's own page, as the browser says (`Sec-Fetch-Site`,
/// or, from a browser too old to send it, an `Origin` naming neither the request's host nor
/// the configured public address's):
/// another site's page cannot send forms (a report) through its visitors' addresses. A client that
/// says neither (a script) meets the token and the limits alone.
pub struct FromThisSite;

impl FromThisSite {
    fn elsewhere(req: &rocket::Request<'_>) -> bool {
        let headers = req.headers();
        if let Some(site) = headers.get_one("Sec-Fetch-Site") {
            return matches!(site, "cross-site" | "same-site");
        }
        let Some(origin) = headers.get_one("Origin") else {
            return false;
        };
        // `null`: a page with no origin to name (a file, a sandboxed frame) is not this site's.
        let Some(host) = host_of(origin) else {
            return true;
        };
        // A proxy may pass the request on with its own upstream `Host`; the registry's
        // configured public address names this site as well.
        let public = req
            .rocket()
            .state::<crate::config::AppConfig>()
            .and_then(|c| c.public.base_url.as_deref())
            .and_then(host_of);
        Some(host) != headers.get_one("Host") && Some(host) != public
    }
}

/// `host[:port]` of an absolute address; `None` for anything else (`null`).
fn host_of(address: &str) -> Option<&str> {
    let (_, rest) = address.split_once("://")?;
    Some(rest.split('/').next().unwrap_or(rest))
}

#[rocket::async_trait]
impl<'r> rocket::request::FromRequest<'r> for FromThisSite {
    type Error = ();

    async fn from_request(req: &'r rocket::Request<'_>) -> rocket::request::Outcome<Self, ()> {
        if Self::elsewhere(req) {
            let refusal = AppError::Forbidden(crate::msg!("report-cross-site"));
            return rocket::outcome::Outcome::Error((crate::error::stash(req, refusal), ()));
        }
        rocket::outcome::Outcome::Success(FromThisSite)
    }
}
