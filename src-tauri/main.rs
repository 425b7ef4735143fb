//! The Switchyard desktop shell: opens the core, registers the commands, and
//! hosts the web UI. No wallet logic lives here (see `crates/core`).
//!
//! Command line: `switchyard-desktop [--data-dir DIR] [--bench-report FILE]`.
//! `--bench-report` writes the first-paint time to FILE (for `scripts/bench-app`).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod camera;
mod commands;
mod confirm_dialog;
mod webkit_env;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// Every heap block is zeroed when freed: secrets that passed through
/// buffers we do not own (keychain replies, answers to the window) leave
/// nothing behind once those are dropped (tests/e2e: "the app lock" scans
/// the locked app's memory for the seed).
#[global_allocator]
static ALLOC: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);
use switchyard_core::{ApiError, Context};

/// What every command can reach.
pub struct AppState {
    /// The opened core, or why it could not be opened (shown by the UI).
    pub ctx: Result<Context, ApiError>,
    /// Where to write the first-paint time, if benchmarking.
    pub bench_report: Option<PathBuf>,
    /// Unix milliseconds at process start.
    pub started_unix_ms: u128,
    /// The live-event forwarder.
    pub events: Events,
}

impl AppState {
    /// The core, or the error that kept it from opening; refused while the
    /// app is locked (every command but the lock's own goes through here).
    pub fn ctx(&self) -> Result<&Context, ApiError> {
        let ctx = self.core()?;
        ctx.lock.ensure_unlocked()?;
        Ok(ctx)
    }

    /// The core whether locked or not: only for the lock's own commands.
    pub fn core(&self) -> Result<&Context, ApiError> {
        self.ctx.as_ref().map_err(Clone::clone)
    }
}

struct Args {
    data_dir: Option<PathBuf>,
    bench_report: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args {
        data_dir: None,
        bench_report: None,
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(a) = it.next() {
        match a.to_str() {
            Some("--data-dir") => args.data_dir = it.next().map(PathBuf::from),
            Some("--bench-report") => args.bench_report = it.next().map(PathBuf::from),
            Some(s) if s.starts_with("--data-dir=") => {
                args.data_dir = Some(PathBuf::from(&s["--data-dir=".len()..]))
            }
            _ => {}
        }
    }
    args
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// Follows the node's live events and forwards each to the UI as a
/// `node-event`; restarted when the user switches to another node profile.
#[derive(Default)]
pub struct Events {
    task: std::sync::Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

impl Events {
    /// (Re)starts following `node`'s events; channel backups are saved to
    /// `backups/<folder of the profile's id>` (never its name: see
    /// `backup_folder`). Stops the previous node's streams first.
    pub fn restart(
        &self,
        app: tauri::AppHandle,
        node: std::sync::Arc<switchyard_core::node::NodeService>,
        backups: PathBuf,
    ) {
        use tauri::Emitter;
        let Ok(mut task) = self.task.lock() else {
            return;
        };
        if let Some(old) = task.take() {
            // Dropping the hub inside the task stops its streams.
            old.abort();
        }
        let Some(source) = node.conn.source() else {
            return;
        };
        let dir = backups.join(switchyard_core::node::backups::backup_folder(&source.id));
        *task = Some(tauri::async_runtime::spawn(async move {
            let hub = node.events(Some(dir), (0, 0));
            let mut rx = hub.subscribe();
            while let Some(event) = rx.recv().await {
                if let Err(e) = app.emit("node-event", &event) {
                    tracing::warn!(error = %e, "could not forward a node event");
                }
            }
            drop(hub);
        }));
    }
}

/// Tells the window each time the app locks or unlocks (`app-lock`), and
/// locks it when the idle time runs out (checked every few seconds).
fn lock_watch(app: tauri::AppHandle, lock: switchyard_core::lock::AppLock) {
    use tauri::Emitter;
    let mut changes = lock.subscribe();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(locked) => {
                    let _ = handle.emit("app-lock", locked);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => break,
            }
        }
    });
    // The computer going to sleep and the screen locking lock it too.
    let os = lock.clone();
    let watching = switchyard_core::lock_os::watch(Default::default(), move |why| {
        if os.lock_for(why.as_str()) {
            tracing::info!(why = why.as_str(), "locked");
        }
    });
    tracing::debug!(
        buses = watching,
        "watching the system for sleep and screen lock"
    );
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            lock.tick();
        }
    });
}

/// The C libraries' heap (GLib, GTK, WebKit's side of this process, and the
/// web view's processes, which inherit it) wiped on free too: glibc's
/// `glibc.malloc.perturb` tunable fills every freed block (and every new
/// one) with a byte pattern, so a window's answer that GLib copied (the
/// words of a reveal) is not left in freed memory. The dynamic loader reads
/// tunables only at start: without it set, the app executes itself again
/// once with it (the same process, before any thread).
fn perturb_c_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        const TUNABLE: &str = "glibc.malloc.perturb=90";
        let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        if current
            .split(':')
            .any(|t| t.starts_with("glibc.malloc.perturb="))
        {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let value = if current.is_empty() {
            TUNABLE.to_string()
        } else {
            format!("{current}:{TUNABLE}")
        };
        let err = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("GLIBC_TUNABLES", value)
            .exec();
        // Only reached when it failed: run on, unperturbed.
        eprintln!("switchyard: could not restart with the C heap wiped on free: {err}");
    }
}

fn main() {
    let started_unix_ms = unix_ms();
    perturb_c_heap();
    // Before any thread starts (it sets environment variables).
    webkit_env::configure();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWITCHYARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    switchyard_core::audit::set_face("desktop");
    let args = parse_args();
    let data_dir = args
        .data_dir
        .unwrap_or_else(switchyard_core::context::default_data_dir);
    let ctx = tauri::async_runtime::block_on(Context::open(&data_dir));
    if let Err(e) = &ctx {
        tracing::error!(error = %e.message, detail = ?e.detail, "could not open the data directory");
    }
    let state = AppState {
        ctx,
        bench_report: args.bench_report,
        started_unix_ms,
        events: Events::default(),
    };
    let builder = tauri::Builder::default();
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(tauri_plugin_dialog::init());
    let result = builder
        .manage(state)
        .on_permission_request(|_, kind| camera::permission(kind))
        .setup(move |app| {
            use tauri::Manager;
            if let Some(window) = app.get_webview_window("main") {
                camera::enable(&window);
            }
            let state = app.state::<AppState>();
            if let Ok(c) = state.core() {
                // The end-to-end tests' idle time, in seconds.
                if let Some(secs) = std::env::var("SWITCHYARD_LOCK_IDLE_SECS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                {
                    c.lock
                        .set_idle_for_tests(std::time::Duration::from_secs(secs));
                }
                lock_watch(app.handle().clone(), c.lock.clone());
                tauri::async_runtime::spawn(c.clone().follow_lock());
            }
            if let Ok(c) = state.core() {
                state.events.restart(
                    app.handle().clone(),
                    c.node.clone(),
                    c.data_dir.join("backups"),
                );
                // Every unfinished swap is driven again from the database,
                // and each change reaches the Swaps screen as an event.
                let swaps = c.swaps.clone();
                let handle = app.handle().clone();
                tauri::async_runtime::spawn(async move {
                    use tauri::Emitter;
                    let mut rx = swaps.subscribe();
                    if let Err(e) = swaps.resume_all().await {
                        tracing::warn!(error = %e, "could not resume the swaps");
                    }
                    loop {
                        match rx.recv().await {
                            Ok(id) => {
                                let _ = handle.emit("swap-update", &id);
                            }
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                            Err(_) => break,
                        }
                    }
                });
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_status,
            commands::app::first_paint,
            commands::app::node_status,
            commands::swaps::swap_provider,
            commands::swaps::swap_quote,
            commands::swaps::create_swap,
            commands::swaps::fund_swap,
            commands::swaps::prepare_swap_lockup,
            commands::swaps::complete_swap_lockup,
            commands::swaps::abort_swap_lockup,
            commands::swaps::list_swaps,
            commands::swaps::resume_swaps,
            commands::swaps::rescue_swaps,
            commands::lock::lock_status,
            commands::lock::unlock_app,
            commands::lock::lock_app,
            commands::lock::set_app_password,
            commands::lock::set_idle_minutes,
            commands::lock::app_activity,
            commands::audit::audit_entries,
            commands::audit::audit_verify,
            commands::audit::audit_export,
            commands::audit::audit_check,
            commands::psbt::review_psbt,
            commands::psbt::sign_psbt,
            commands::psbt::list_devices,
            commands::psbt::watch_device,
            commands::psbt::import_watch,
            commands::psbt::lnd_import,
            commands::psbt::account_balance,
            commands::psbt::prepare_psbt_send,
            commands::psbt::complete_psbt_send,
            commands::psbt::abort_psbt_send,
            commands::psbt::prepare_psbt_open,
            commands::psbt::complete_psbt_open,
            commands::psbt::abort_psbt_open,
            commands::psbt::psbt_qr,
            commands::psbt::save_psbt,
            commands::profiles::list_profiles,
            commands::profiles::add_profile,
            commands::profiles::switch_profile,
            commands::profiles::remove_profile,
            commands::profiles::init_node,
            commands::profiles::unlock_node,
            commands::profiles::reveal_node_password,
            commands::profiles::set_profile_macaroon,
            commands::wallet::generate_mnemonic,
            commands::wallet::check_words,
            commands::wallet::create_wallet,
            commands::wallet::list_wallets,
            commands::wallet::wallet_detail,
            commands::wallet::wallet_addresses,
            commands::wallet::verify_address,
            commands::wallet::reveal_words,
            commands::wallet::begin_confirmation,
            commands::wallet::delete_wallet,
            commands::node::balances,
            commands::node::list_channels,
            commands::node::open_channel,
            commands::node::close_channel,
            commands::node::update_policy,
            commands::node::create_invoice,
            commands::node::preview_payment,
            commands::node::pay_invoice,
            commands::node::keysend,
            commands::node::payment_history,
            commands::node::new_address,
            commands::node::send_coins,
            commands::node::transactions,
            commands::node::export_backup,
            commands::node::verify_backup,
            commands::node::restore_backup,
            commands::node::list_utxos,
            commands::node::open_channels_batch,
            commands::node::preview_route,
            commands::node::pay_route,
            commands::node::graph_neighbourhood,
            commands::node::rebalance,
            commands::node::bump_fee,
            commands::node::export_history,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        tracing::error!(error = %e, "the window could not be started");
        std::process::exit(1);
    }
}
