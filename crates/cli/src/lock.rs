//! `switchyard lock …`: the app password the window's lock and the
//! sensitive commands ask for (the App lock card's settings). The CLI
//! itself never locks: a command that needs the password takes it with
//! `--password-stdin`.

use crate::{app_password, out, Output, PASSWORD_NEEDED};
use clap::Subcommand;
use std::path::Path;
use switchyard_core::{ApiError, Context, ErrorCode};

#[derive(Subcommand)]
pub enum LockCmd {
    /// Whether an app password is set, the idle time, the verifier's cost.
    Status,
    /// Sets the app password: the new one is read from standard input (its
    /// first line; to change it, the current one first with
    /// --password-stdin, then the new one on the next line).
    SetPassword,
    /// The minutes without input before the window locks (with the app
    /// password through --password-stdin).
    Idle {
        /// 1 to 1440.
        minutes: u32,
    },
}

fn status_text(s: &switchyard_core::lock::LockStatus) -> String {
    if !s.enabled {
        return "No app password is set: only regtest wallets can be kept.".into();
    }
    format!(
        "App password set (Argon2id, {} MiB × {} passes); the window locks after {} s without input.",
        s.memory_kib / 1024,
        s.passes,
        s.idle_secs
    )
}

/// Runs a lock command.
pub async fn run(cmd: LockCmd, data_dir: &Path) -> Result<Output, ApiError> {
    let ctx = Context::open(data_dir).await?;
    match cmd {
        LockCmd::Status => {
            let s = ctx.lock.status().await?;
            let text = status_text(&s);
            out(&s, text)
        }
        LockCmd::SetPassword => {
            let enabled = ctx.lock.enabled();
            let current = app_password();
            if enabled && current.is_none() {
                return Err(ApiError::new(ErrorCode::PasswordNeeded, PASSWORD_NEEDED));
            }
            let new = crate::read_secret_line("the new password")?;
            ctx.set_app_password(current.filter(|_| enabled), &new)
                .await?;
            let s = ctx.lock.status().await?;
            let text = format!(
                "App password {}. {}",
                if enabled { "changed" } else { "set" },
                status_text(&s)
            );
            out(&s, text)
        }
        LockCmd::Idle { minutes } => {
            let pw = app_password()
                .ok_or_else(|| ApiError::new(ErrorCode::PasswordNeeded, PASSWORD_NEEDED))?;
            ctx.set_idle_minutes(pw, minutes).await?;
            let s = ctx.lock.status().await?;
            let text = status_text(&s);
            out(&s, text)
        }
    }
}
