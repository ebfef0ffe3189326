//! `token create|revoke`: API tokens, issued by the operator.

use clap::{Args, Subcommand};
use ocop_registry::auth::Actor;
use ocop_registry::domain::Role;
use ocop_registry::error::AppError;
use ocop_registry::tokens::{self, dto::CreateToken};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::fail;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it, alone, on standard output.
    Create(TokenArgs),
    /// Revoke a token by id.
    Revoke {
        /// The token's id.
        id: Uuid,
    },
}

#[derive(Args)]
pub struct TokenArgs {
    /// What the token may do.
    #[arg(long, value_enum)]
    role: Role,
    /// Auditor tokens: the unit whose subtree they reach.
    #[arg(long)]
    unit_id: Option<Uuid>,
    /// Owner tokens: the subject they act for.
    #[arg(long)]
    subject_id: Option<Uuid>,
    /// Channel tokens: their platform.
    #[arg(long)]
    platform: Option<String>,
    /// A label saying whose token it is.
    #[arg(long)]
    name: Option<String>,
}

pub async fn run(command: TokenCommand, db: &DatabaseConnection) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create(a) => {
            let input = CreateToken {
                role: a.role,
                unit_id: a.unit_id,
                subject_id: a.subject_id,
                platform: a.platform,
                name: a.name,
            };
            validator::Validate::validate(&input).map_err(|e| fail(AppError::from(e)))?;
            let created = tokens::service::create(db, &Actor::cli(), input)
                .await
                .map_err(fail)?;
            println!("{}", created.secret);
        }
        TokenCommand::Revoke { id } => {
            tokens::service::revoke(db, &Actor::cli(), id)
                .await
                .map_err(fail)?;
            eprintln!("token {id} revoked");
        }
    }
    Ok(())
}
