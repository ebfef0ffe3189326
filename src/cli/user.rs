//! `user create`: an account for the pages.

use clap::{Args, Subcommand};
use ocop_registry::auth::Actor;
use ocop_registry::domain::Role;
use ocop_registry::error::AppError;
use ocop_registry::users;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::fail;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account and print its one-time password, alone, on standard output.
    Create(UserArgs),
}

#[derive(Args)]
pub struct UserArgs {
    /// Lower-case letters, digits, '.', '_', '-'.
    #[arg(long)]
    username: String,
    /// admin, auditor or owner.
    #[arg(long, value_enum)]
    role: Role,
    /// Auditors: the unit whose subtree they reach.
    #[arg(long)]
    unit_id: Option<Uuid>,
    /// Owners: the subject they act for.
    #[arg(long)]
    subject_id: Option<Uuid>,
    /// The name shown on pages (default: the user name).
    #[arg(long)]
    display_name: Option<String>,
    /// Read the password from standard input (the user's own, not one-time; for scripts).
    #[arg(long)]
    password_stdin: bool,
}

pub async fn run(command: UserCommand, db: &DatabaseConnection) -> anyhow::Result<()> {
    let UserCommand::Create(a) = command;
    let input = users::dto::CreateUser {
        display_name: a.display_name.unwrap_or_else(|| a.username.clone()),
        username: a.username,
        role: a.role,
        unit_id: a.unit_id,
        subject_id: a.subject_id,
    };
    validator::Validate::validate(&input).map_err(|e| fail(AppError::from(e)))?;
    let password = if a.password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    let created = users::service::create(db, &Actor::cli(), input, password)
        .await
        .map_err(fail)?;
    if created.one_time_password.is_empty() {
        eprintln!("user {} created", created.user.username);
    } else {
        println!("{}", created.one_time_password);
    }
    Ok(())
}
