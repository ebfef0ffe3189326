//! Entity types under short names.

pub use super::api_token::Entity as ApiToken;
pub use super::audit_log::Entity as AuditLog;
pub use super::certification::Entity as Certification;
pub use super::certification_scheme::Entity as CertificationScheme;
pub use super::channel_connection::Entity as ChannelConnection;
pub use super::indicator_policy::Entity as IndicatorPolicy;
pub use super::indicator_report::Entity as IndicatorReport;
pub use super::listing::Entity as Listing;
pub use super::listing_span::Entity as ListingSpan;
pub use super::product::Entity as Product;
pub use super::raw_material_area::Entity as RawMaterialArea;
pub use super::recognition::Entity as Recognition;
pub use super::sales_channel::Entity as SalesChannel;
pub use super::status_event::Entity as StatusEvent;
pub use super::subject::Entity as Subject;
pub use super::sync_run::Entity as SyncRun;
pub use super::unit::Entity as Unit;
pub use super::unit_link::Entity as UnitLink;
pub use super::webhook_event::Entity as WebhookEvent;
