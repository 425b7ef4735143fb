//! `switchyard`: the command line over Switchyard's core, for testers and
//! scripts. Every command mirrors an operation of the desktop app and uses the
//! same data directory, database and keychain. `--json` prints machine-readable
//! output; on failure it prints `{"error": {code, message, detail}}` on stdout
//! and exits with status 1.

mod audit;
mod cold;
mod format;
mod lightning;
mod lock;
mod node;
mod psbt;
mod regtest;
mod swap;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Every heap block is zeroed when freed (as in the desktop app): words and
/// keys read for one command leave nothing behind in freed memory.
#[global_allocator]
static ALLOC: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use switchyard_core::confirm::{ConfirmTarget, Confirmation};
use switchyard_core::keys::{self, Chain, DeriveOptions, Purpose, WordCount};
use switchyard_core::wallet::NewWallet;
use switchyard_core::{ApiError, Context, ErrorCode, Network};

#[derive(Parser)]
#[command(
    name = "switchyard",
    version,
    about = "Switchyard, a desktop Lightning wallet: the command line"
)]
struct Cli {
    /// Data directory (database, backups, logs). Default: $SWITCHYARD_DATA_DIR or the platform data dir.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Read the app password (once one is set) from the first line of
    /// standard input: revealing words or a node password, deleting a
    /// wallet, removing a profile and signing a PSBT ask for it again.
    #[arg(long, global = true)]
    password_stdin: bool,
    #[command(flatten)]
    node: lightning::NodeArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Key derivation without storing anything.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Wallets kept in the data directory and the OS keychain.
    #[command(subcommand)]
    Wallet(WalletCmd),
    /// The OS keychain.
    #[command(subcommand)]
    Keychain(KeychainCmd),
    /// The LND node.
    #[command(subcommand)]
    Node(node::NodeCmd),
    /// A local regtest Lightning network (btcd + LND) for testing.
    #[command(subcommand)]
    Regtest(regtest::RegtestCmd),
    /// Swaps between on-chain bitcoin and Lightning with a provider.
    #[command(subcommand)]
    Swap(swap::SwapCmd),
    /// Run a swap provider (Boltz's API) on a node.
    Provider(swap::ProviderArgs),
    /// PSBTs: what one spends and pays, before anyone signs it.
    #[command(subcommand)]
    Psbt(psbt::PsbtCmd),
    /// The audit log: list, verify, export, prove an entry or that the log
    /// only grew, and check such a file without any wallet.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// The app password: status, set or change it, the window's idle time.
    #[command(subcommand)]
    Lock(lock::LockCmd),
    /// Hardware wallets (through HWI): list, xpub, verify an address, sign.
    #[command(subcommand)]
    Device(cold::DeviceCmd),
    #[command(flatten)]
    Lightning(lightning::LightningCmd),
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Print the address, public key and xpub at a path (nothing is stored).
    Derive {
        /// Read the recovery words from the first line of standard input.
        #[arg(long, required = true)]
        mnemonic_stdin: bool,
        /// Read the BIP39 passphrase from the next line of standard input.
        #[arg(long)]
        passphrase_stdin: bool,
        /// Derivation path, e.g. m/84'/0'/0'/0/0.
        #[arg(long)]
        path: String,
        #[arg(long, default_value = "bitcoin")]
        network: Network,
        /// Accept paths that break the BIP44/49/84/86 layout.
        #[arg(long)]
        allow_nonstandard: bool,
    },
    /// Check recovery words word by word (read from standard input).
    Check,
}

#[derive(Subcommand)]
enum WalletCmd {
    /// Create a wallet with new recovery words (printed once: write them down).
    Create {
        #[command(flatten)]
        common: NewWalletArgs,
        /// 12 or 24 words.
        #[arg(long, default_value_t = 12)]
        words: usize,
    },
    /// Restore a wallet from recovery words read from standard input.
    Restore {
        #[command(flatten)]
        common: NewWalletArgs,
        /// Read the recovery words from the first line of standard input.
        #[arg(long, required = true)]
        mnemonic_stdin: bool,
    },
    /// List wallets.
    List,
    /// Show a wallet's accounts: xpubs, SLIP-132 forms, descriptors.
    Show { wallet: String },
    /// List addresses with their paths.
    Addresses {
        wallet: String,
        #[arg(long, value_enum, default_value = "bip84")]
        account: AccountArg,
        /// Change addresses instead of receive addresses.
        #[arg(long)]
        change: bool,
        #[arg(long, default_value_t = 0)]
        start: u32,
        #[arg(long, default_value_t = 5)]
        count: u32,
    },
    /// Check whether an address belongs to a wallet.
    VerifyAddress {
        wallet: String,
        address: String,
        /// How many indexes per chain to search.
        #[arg(long, default_value_t = switchyard_core::wallet::DEFAULT_SEARCH_GAP)]
        gap: u32,
    },
    /// Reveal the recovery words: needs the passphrase on stdin (wallets with
    /// one); for a wallet without, a one-time code is printed on standard
    /// error and must be typed back on standard input.
    Reveal {
        wallet: String,
        #[arg(long)]
        passphrase_stdin: bool,
    },
    /// A watch-only wallet from an extended public key (xpub/zpub/tpub/vpub
    /// with --fingerprint and --path), an output descriptor with its key
    /// origin, or a connected hardware wallet (--from-device).
    ImportWatch(cold::WatchArgs),
    /// Have the node (LND) watch a wallet's account (WalletKit ImportAccount):
    /// a dry run first, whose addresses must be the wallet's own; then the
    /// import. Its coins are then spent only through PSBTs.
    LndImport {
        wallet: String,
        /// Show the dry run only.
        #[arg(long)]
        dry_run: bool,
    },
    /// A wallet's balance in its LND account (after lnd-import).
    Balance {
        wallet: String,
        /// Also a new receive address of the account.
        #[arg(long)]
        address: bool,
    },
    /// Delete a wallet: its keychain entry and its metadata.
    Delete {
        wallet: String,
        /// Confirm: the recovery words are gone from this computer afterwards.
        #[arg(long)]
        yes: bool,
        /// A node whose LND wallet was initialised from these words (named
        /// to confirm it loses its link); once per such node.
        #[arg(long = "unlink-node")]
        unlink_nodes: Vec<String>,
    },
}

#[derive(Args)]
struct NewWalletArgs {
    #[arg(long)]
    name: String,
    #[arg(long, default_value = "regtest")]
    network: Network,
    /// Read a BIP39 passphrase from standard input (after the words, for restore).
    #[arg(long)]
    passphrase_stdin: bool,
}

#[derive(Subcommand)]
enum KeychainCmd {
    /// Write, read back and delete a probe entry.
    Probe,
}

#[derive(Clone, Copy, ValueEnum)]
enum AccountArg {
    Bip44,
    Bip49,
    Bip84,
    Bip86,
}

impl From<AccountArg> for Purpose {
    fn from(a: AccountArg) -> Self {
        match a {
            AccountArg::Bip44 => Purpose::Bip44,
            AccountArg::Bip49 => Purpose::Bip49,
            AccountArg::Bip84 => Purpose::Bip84,
            AccountArg::Bip86 => Purpose::Bip86,
        }
    }
}

/// Said wherever a wallet made from an unnormalised passphrase is shown.
const LEGACY_PASSPHRASE_WARNING: &str = "WARNING: an earlier Switchyard used this wallet's passphrase (it has accented or other non-ASCII characters) exactly as typed instead of NFKD-normalising it as BIP39 requires. Its keys here are right, but other wallets given these words and this passphrase find a different, empty wallet. Create a new wallet and move the funds to it.\n";

/// A confirmation by one-time code: the code goes to standard error (the
/// terminal), the user types it back on standard input.
pub(crate) fn code_from_terminal(
    w: &switchyard_core::wallet::WalletService,
    target: ConfirmTarget,
    what: &str,
) -> Result<Confirmation, ApiError> {
    let ch = w.challenge(target);
    eprintln!(
        "To {what}, type this code and press Enter: {}",
        ch.code.expose_secret()
    );
    let line = read_secret_line("the code")?;
    Ok(Confirmation::code(
        ch.id,
        SecretString::from(line.expose_secret().trim().to_string()),
    ))
}

/// The app password from `--password-stdin`, read once at start.
static APP_PASSWORD: std::sync::OnceLock<SecretString> = std::sync::OnceLock::new();

/// Said when a command needs the app password and none was given.
pub(crate) const PASSWORD_NEEDED: &str = "This needs the app password: give it on the first line of standard input with --password-stdin.";

/// The app password given with `--password-stdin`, if any.
pub(crate) fn app_password() -> Option<&'static SecretString> {
    APP_PASSWORD.get()
}

/// The confirmation for revealing a secret: the app password once one is
/// set (then the only answer), else `otherwise` (a passphrase or a code).
pub(crate) fn reveal_confirmation(
    w: &switchyard_core::wallet::WalletService,
    otherwise: impl FnOnce() -> Result<Confirmation, ApiError>,
) -> Result<Confirmation, ApiError> {
    if !w.asks_app_password() {
        return otherwise();
    }
    app_password()
        .map(|p| Confirmation::app_password(p.clone()))
        .ok_or_else(|| ApiError::new(ErrorCode::PasswordNeeded, PASSWORD_NEEDED))
}

/// Reads the first line of standard input as the app password (the rest
/// stays for the command).
fn read_app_password() -> Result<(), ApiError> {
    let _ = APP_PASSWORD.set(read_secret_line("the app password")?);
    Ok(())
}

/// One line of standard input, without its line ending, as a secret.
pub(crate) fn read_secret_line(what: &str) -> Result<SecretString, ApiError> {
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().read_line(&mut line).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("Could not read {what} from standard input: {e}"),
        )
    })?;
    Ok(SecretString::from(
        line.trim_end_matches(['\n', '\r']).to_string(),
    ))
}

/// Lines of standard input: words first (when asked), then the passphrase.
struct StdinSecrets {
    words: SecretString,
    passphrase: SecretString,
}

fn read_stdin_secrets(want_words: bool, want_passphrase: bool) -> Result<StdinSecrets, ApiError> {
    let mut all = zeroize::Zeroizing::new(String::new());
    if want_words || want_passphrase {
        std::io::stdin().read_to_string(&mut all).map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidRequest,
                format!("Could not read standard input: {e}"),
            )
        })?;
    }
    let mut lines = all.split('\n');
    let words = if want_words {
        lines.next().unwrap_or("").to_string()
    } else {
        String::new()
    };
    let passphrase = if want_passphrase {
        lines
            .next()
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_string()
    } else {
        String::new()
    };
    Ok(StdinSecrets {
        words: SecretString::from(words),
        passphrase: SecretString::from(passphrase),
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWITCHYARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = cli.json;
    let result = if cli.password_stdin {
        read_app_password()
    } else {
        Ok(())
    };
    let result = result.and_then(|()| runtime.block_on(run(cli)));
    // The core's words name the window's prompt; here the flag is the way.
    let result = result.map_err(|mut e| {
        if e.code == ErrorCode::PasswordNeeded {
            e.message = PASSWORD_NEEDED.into();
        }
        e
    });
    match result {
        Ok(out) => {
            print_out(if json { &out.json } else { &out.text });
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                print_out(&serde_json::json!({ "error": e }).to_string());
            } else {
                eprintln!("error: {}", e.message);
                if let Some(d) = &e.detail {
                    eprintln!("  detail: {d}");
                }
            }
            ExitCode::FAILURE
        }
    }
}

/// Prints a line to stdout; a closed pipe (`switchyard … | head`) is not an error.
pub(crate) fn print_out(s: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{s}");
}

/// A command's output in both forms.
pub(crate) struct Output {
    text: String,
    json: String,
}

pub(crate) fn out<T: Serialize>(value: &T, text: String) -> Result<Output, ApiError> {
    let json = serde_json::to_string_pretty(value).map_err(|e| {
        ApiError::new(
            ErrorCode::Internal,
            format!("Could not encode the output: {e}"),
        )
    })?;
    Ok(Output { text, json })
}

async fn run(cli: Cli) -> Result<Output, ApiError> {
    let data_dir = cli
        .data_dir
        .unwrap_or_else(switchyard_core::context::default_data_dir);
    match cli.command {
        Command::Keys(cmd) => keys_cmd(cmd),
        Command::Keychain(KeychainCmd::Probe) => {
            let kc = switchyard_core::keychain::OsKeychain::new(
                switchyard_core::context::keychain_service(),
            );
            tokio::task::spawn_blocking(move || kc.probe())
                .await
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))??;
            out(
                &serde_json::json!({ "ok": true }),
                "The keychain works.".into(),
            )
        }
        Command::Node(cmd) => node::run(cmd, &cli.node, &data_dir).await,
        Command::Regtest(cmd) => {
            let default_dir = data_dir.join("regtest");
            let data = data_dir.clone();
            tokio::task::spawn_blocking(move || regtest::run(cmd, default_dir, data))
                .await
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?
                .and_then(|(value, text)| out(&value, text))
        }
        Command::Lightning(cmd) => lightning::run(cmd, &cli.node, &data_dir).await,
        Command::Swap(cmd) => swap::run(cmd, &cli.node, &data_dir).await,
        Command::Provider(args) => swap::provider(args, &cli.node, &data_dir).await,
        Command::Psbt(cmd) => psbt::run(cmd, &data_dir).await,
        Command::Audit(cmd) => audit::run(cmd, &data_dir).await,
        Command::Lock(cmd) => lock::run(cmd, &data_dir).await,
        Command::Device(cmd) => cold::device(cmd, &cli.node, &data_dir).await,
        Command::Wallet(cmd) => {
            let ctx = Context::open(&data_dir).await?;
            wallet_cmd(&ctx, cmd, &cli.node).await
        }
    }
}

fn keys_cmd(cmd: KeysCmd) -> Result<Output, ApiError> {
    match cmd {
        KeysCmd::Derive {
            mnemonic_stdin,
            passphrase_stdin,
            path,
            network,
            allow_nonstandard,
        } => {
            let s = read_stdin_secrets(mnemonic_stdin, passphrase_stdin)?;
            let k = keys::derive_at_path(
                &s.words,
                &s.passphrase,
                &path,
                network,
                DeriveOptions { allow_nonstandard },
            )?;
            let text = format!(
                "path         {}\nnetwork      {}\nfingerprint  {}\naddress      {} ({})\npublic key   {}\nxpub         {}",
                k.path, k.network, k.fingerprint, k.address, k.script_type, k.public_key, k.xpub
            );
            out(&k, text)
        }
        KeysCmd::Check => {
            let s = read_stdin_secrets(true, false)?;
            let c = keys::check_words(&s.words);
            let mut text = String::new();
            for w in c.words.iter().filter(|w| !w.known) {
                text.push_str(&format!(
                    "word {}: not in the English list{}\n",
                    w.position,
                    if w.suggestions.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean: {}?)", w.suggestions.join(", "))
                    }
                ));
            }
            text.push_str(match &c.problem {
                None => "The recovery words are valid.",
                Some(p) => p,
            });
            out(&c, text)
        }
    }
}

async fn wallet_cmd(
    ctx: &Context,
    cmd: WalletCmd,
    node: &lightning::NodeArgs,
) -> Result<Output, ApiError> {
    let w = &ctx.wallets;
    match cmd {
        WalletCmd::ImportWatch(req) => cold::import_watch(ctx, req).await,
        WalletCmd::LndImport { wallet, dry_run } => {
            cold::lnd_import(ctx, node, &wallet, dry_run).await
        }
        WalletCmd::Balance { wallet, address } => cold::balance(ctx, node, &wallet, address).await,
        WalletCmd::Create { common, words } => {
            let count = WordCount::from_count(words).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    "A new wallet has 12 or 24 words.",
                )
            })?;
            let s = read_stdin_secrets(false, common.passphrase_stdin)?;
            let mnemonic = keys::generate_mnemonic(count);
            let phrase = keys::phrase_of(&mnemonic);
            let summary = w
                .create(NewWallet {
                    name: common.name,
                    network: common.network,
                    words: phrase.clone(),
                    passphrase: s.passphrase,
                })
                .await?;
            #[derive(Serialize)]
            struct Created<'a> {
                wallet: &'a switchyard_core::wallet::WalletSummary,
                /// Shown once, because the user asked to create a wallet.
                mnemonic: &'a str,
            }
            let text = format!(
                "Created wallet \"{}\" ({}) on {}.\nWrite these words down, in order; they are the only backup:\n\n  {}\n",
                summary.name,
                summary.id,
                summary.network,
                phrase.expose_secret()
            );
            out(
                &Created {
                    wallet: &summary,
                    mnemonic: phrase.expose_secret(),
                },
                text,
            )
        }
        WalletCmd::Restore {
            common,
            mnemonic_stdin,
        } => {
            let s = read_stdin_secrets(mnemonic_stdin, common.passphrase_stdin)?;
            let summary = w
                .restore(NewWallet {
                    name: common.name,
                    network: common.network,
                    words: s.words,
                    passphrase: s.passphrase,
                })
                .await?;
            let text = format!(
                "Restored wallet \"{}\" ({}) on {}, fingerprint {}.",
                summary.name, summary.id, summary.network, summary.fingerprint
            );
            out(&summary, text)
        }
        WalletCmd::List => {
            let all = w.list().await?;
            let mut text = String::new();
            if all.is_empty() {
                text.push_str(
                    "No wallets yet: create one with `switchyard wallet create --name NAME`.",
                );
            }
            for s in &all {
                text.push_str(&format!(
                    "{}  {:<24} {:<8} fingerprint {}{}\n",
                    s.id,
                    s.name,
                    s.network,
                    s.fingerprint,
                    if s.legacy_passphrase {
                        "  (passphrase, NOT NORMALISED: see `wallet show`)"
                    } else if s.has_passphrase {
                        "  (passphrase)"
                    } else {
                        ""
                    }
                ));
            }
            out(&all, text.trim_end().to_string())
        }
        WalletCmd::Show { wallet } => {
            let id = w.resolve(&wallet).await?.id;
            let d = w.detail(&id).await?;
            let mut text = format!(
                "{} ({}) on {}, fingerprint {}\n",
                d.wallet.name, d.wallet.id, d.wallet.network, d.wallet.fingerprint
            );
            if d.wallet.legacy_passphrase {
                text.push_str(LEGACY_PASSPHRASE_WARNING);
            }
            if !d.linked_nodes.is_empty() {
                text.push_str(&format!(
                    "Seed of the node(s): {}\n",
                    d.linked_nodes.join(", ")
                ));
            }
            for a in &d.accounts {
                text.push_str(&format!("\n{} {}\n  {}\n", a.label, a.path, a.xpub));
                if let Some(s) = &a.slip132 {
                    text.push_str(&format!("  {s}\n"));
                }
                text.push_str(&format!(
                    "  {}\n  {}\n",
                    a.receive_descriptor, a.change_descriptor
                ));
            }
            out(&d, text.trim_end().to_string())
        }
        WalletCmd::Addresses {
            wallet,
            account,
            change,
            start,
            count,
        } => {
            let id = w.resolve(&wallet).await?.id;
            let chain = if change {
                Chain::Change
            } else {
                Chain::Receive
            };
            let list = w
                .addresses(&id, account.into(), chain, start, count)
                .await?;
            let text = list
                .iter()
                .map(|a| format!("{:<20} {}", a.path, a.address))
                .collect::<Vec<_>>()
                .join("\n");
            out(&list, text)
        }
        WalletCmd::VerifyAddress {
            wallet,
            address,
            gap,
        } => {
            let id = w.resolve(&wallet).await?.id;
            let own = w.find_address(&id, &address, gap).await?;
            let text = match &own.found {
                Some(a) => format!("Yes: {} is this wallet's address at {}.", a.address, a.path),
                None => format!(
                    "No: not among the first {} receive and change addresses of this wallet.",
                    own.searched
                ),
            };
            out(&own, text)
        }
        WalletCmd::Reveal {
            wallet,
            passphrase_stdin,
        } => {
            let s = w.resolve(&wallet).await?;
            let confirmation = reveal_confirmation(w, || {
                if passphrase_stdin {
                    Ok(Confirmation::passphrase(
                        read_stdin_secrets(false, true)?.passphrase,
                    ))
                } else {
                    code_from_terminal(
                        w,
                        ConfirmTarget::Words {
                            wallet_id: s.id.clone(),
                        },
                        &format!("reveal the recovery words of \"{}\"", s.name),
                    )
                }
            })?;
            let words = w.reveal_words(&s.id, &confirmation).await?;
            let text = words.words.clone();
            out(&words, text)
        }
        WalletCmd::Delete {
            wallet,
            yes,
            unlink_nodes,
        } => {
            let s = w.resolve(&wallet).await?;
            if !yes {
                return Err(ApiError::new(
                    ErrorCode::NotConfirmed,
                    format!(
                        "Deleting \"{}\" removes its recovery words from this computer. Make sure they are written down, then run again with --yes.",
                        s.name
                    ),
                ));
            }
            w.delete(&s.id, &unlink_nodes, app_password()).await?;
            out(
                &serde_json::json!({ "deleted": s.id }),
                format!("Deleted wallet \"{}\".", s.name),
            )
        }
    }
}
