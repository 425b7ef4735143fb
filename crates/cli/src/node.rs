//! `switchyard node …`: the connection and node profiles (the app's Node
//! profiles screen): status, list, add from an lndconnect link or from LND's
//! files, switch, remove, initialise a fresh LND from a wallet's words, unlock.

use crate::format::profile_line;
use crate::lightning::NodeArgs;
use crate::{out, Output};
use clap::Subcommand;
use std::io::Read;
use std::path::Path;
use switchyard_core::node::{NodeSource, NodeState};
use switchyard_core::profiles::{InitNodeRequest, NewProfile};
use switchyard_core::{ApiError, Context, ErrorCode};
use zeroize::Zeroizing;

/// Node commands.
#[derive(Subcommand)]
pub enum NodeCmd {
    /// Connect and report alias, network, height and channels, or exactly why not.
    /// Default node: the profile in use (at first, alice of the regtest network).
    Status {
        /// Read an lndconnect:// URI from standard input (instead of a profile).
        #[arg(long)]
        lndconnect_stdin: bool,
    },
    /// List node profiles (the one in use is marked).
    Profiles,
    /// Add a profile: from an lndconnect link on standard input, or from LND's
    /// certificate and macaroon files with one or more --endpoint.
    Add {
        /// The profile's name.
        name: String,
        /// Read the lndconnect:// link from standard input (its macaroon goes to the keychain).
        #[arg(long, conflicts_with_all = ["cert_file", "macaroon_file"])]
        lndconnect_stdin: bool,
        /// host:port of LND's gRPC interface; repeat for the members of an LND cluster.
        #[arg(long = "endpoint")]
        endpoints: Vec<String>,
        /// LND's tls.cert (read at each connect).
        #[arg(long, requires = "macaroon_file")]
        cert_file: Option<String>,
        /// A macaroon file (read at each connect).
        #[arg(long, requires = "cert_file")]
        macaroon_file: Option<String>,
    },
    /// Use this profile from now on (the app and the CLI).
    Use {
        /// Name or id.
        profile: String,
    },
    /// Remove a profile and its keychain entries.
    Remove {
        /// Name or id.
        profile: String,
        /// Confirm.
        #[arg(long)]
        yes: bool,
    },
    /// Initialise a fresh LND (started without a wallet) from a Switchyard
    /// wallet's words, so the node's on-chain funds are recoverable from them.
    /// Makes a profile that unlocks the node on start-up.
    Init {
        /// The new profile's name.
        name: String,
        /// host:port of the node's gRPC interface.
        #[arg(long)]
        endpoint: String,
        /// The node's tls.cert.
        #[arg(long)]
        cert_file: String,
        /// The Switchyard wallet (name or id) whose words the node will use.
        #[arg(long)]
        wallet: String,
        /// Scan the chain from the start (the words may already hold funds).
        #[arg(long)]
        rescan: bool,
    },
    /// Unlock the node's wallet with the password read from standard input.
    Unlock {
        /// Keep the password in the keychain and unlock automatically from now on.
        #[arg(long)]
        remember: bool,
    },
    /// Show the wallet password `node init` generated for a node (write it
    /// down: until then the profile cannot be removed). Confirm with the
    /// passphrase of the wallet that initialised it (--passphrase-stdin), or
    /// with the one-time code printed on standard error.
    Password {
        /// Name or id.
        profile: String,
        #[arg(long)]
        passphrase_stdin: bool,
    },
    /// Add LND's admin macaroon to a profile that has none yet (after a
    /// `node init` the node did not confirm).
    Macaroon {
        /// Name or id.
        profile: String,
        /// LND's admin.macaroon.
        #[arg(long)]
        macaroon_file: std::path::PathBuf,
    },
}

fn read_stdin(what: &str) -> Result<Zeroizing<String>, ApiError> {
    let mut s = Zeroizing::new(String::new());
    std::io::stdin().read_to_string(&mut s).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("Could not read {what} from standard input: {e}"),
        )
    })?;
    Ok(Zeroizing::new(s.trim().to_string()))
}

/// A cluster's endpoints and what each does.
fn cluster_lines(c: &switchyard_core::node::connection::ClusterView) -> String {
    use switchyard_core::node::connection::InstanceRole as R;
    let mut lines: Vec<String> = c
        .instances
        .iter()
        .map(|i| {
            let role = match i.role {
                R::Serving if c.serving.as_deref() == Some(i.endpoint.as_str()) => {
                    "serving (in use)"
                }
                R::Serving => "says it serves",
                R::Standby => "standby",
                R::Starting => "starting or locked",
                R::Down => "not answering",
            };
            format!("  {}  {role}", i.endpoint)
        })
        .collect();
    match c.quorum {
        Some(false) => lines.push("  etcd: no quorum".into()),
        Some(true) => lines.push("  etcd: quorum".into()),
        None => {}
    }
    format!("LND cluster:\n{}", lines.join("\n"))
}

/// Runs one node command.
pub async fn run(cmd: NodeCmd, args: &NodeArgs, data_dir: &Path) -> Result<Output, ApiError> {
    let ctx = Context::open(data_dir).await?;
    match cmd {
        NodeCmd::Status { lndconnect_stdin } => {
            let source = if lndconnect_stdin {
                let uri = read_stdin("the lndconnect link")?;
                Some(NodeSource::lndconnect("lndconnect", &uri, args.network())?)
            } else {
                args.source(&ctx).await?
            };
            let status = switchyard_core::api::NodeStatusView::from(
                switchyard_core::node::Connection::new(source)
                    .status()
                    .await,
            );
            match (status.status.state, &status.error) {
                (NodeState::Connected, _) => {
                    let st = &status.status;
                    let text = format!(
                        "Connected to {} ({}) at {}: LND {}, {}, block {}{}, {} active channel(s), {} pending, {} peer(s).",
                        st.alias.as_deref().unwrap_or("?"),
                        st.profile.as_deref().unwrap_or("?"),
                        st.endpoint.as_deref().unwrap_or("?"),
                        st.version.as_deref().unwrap_or("?"),
                        st.network.map(|n| n.to_string()).unwrap_or_default(),
                        st.block_height.unwrap_or(0),
                        if st.synced_to_chain { "" } else { " (syncing)" },
                        st.active_channels,
                        st.pending_channels,
                        st.peers
                    );
                    let text = match &st.cluster {
                        Some(c) => format!("{text}\n{}", cluster_lines(c)),
                        None => text,
                    };
                    out(&status, text)
                }
                (_, Some(e)) => Err(e.clone()),
                _ => Err(ApiError::new(
                    ErrorCode::NodeNotConfigured,
                    "No node is set up: start the regtest network (`switchyard regtest up`), add a profile (`switchyard node add`), or pass --grpc-host, --tls-cert and --macaroon.",
                )),
            }
        }
        NodeCmd::Profiles => {
            let all = ctx.profiles.list().await?;
            let text = if all.is_empty() {
                "No node profiles. Add one with `switchyard node add`, or start the regtest network.".into()
            } else {
                all.iter().map(profile_line).collect::<Vec<_>>().join("\n")
            };
            out(&all, text)
        }
        NodeCmd::Add {
            name,
            lndconnect_stdin,
            endpoints,
            cert_file,
            macaroon_file,
        } => {
            let new = match (lndconnect_stdin, cert_file, macaroon_file) {
                (true, _, _) => NewProfile::Lndconnect {
                    name,
                    uri: switchyard_core::api::SecretInput(secrecy::SecretString::from(
                        std::mem::take(&mut *read_stdin("the lndconnect link")?),
                    )),
                    network: args.network(),
                    extra_endpoints: endpoints,
                },
                (false, Some(tls_cert_path), Some(macaroon_path)) => NewProfile::Files {
                    name,
                    endpoints,
                    tls_cert_path,
                    macaroon_path,
                    network: args.network(),
                },
                _ => return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    "Give --lndconnect-stdin, or --cert-file and --macaroon-file with --endpoint.",
                )),
            };
            let p = ctx.profiles.add(new).await?;
            let text = format!("Added node profile \"{}\" ({}).", p.name, p.id);
            out(&p, text)
        }
        NodeCmd::Use { profile } => {
            let (p, _) = ctx.profiles.activate(&profile).await?;
            let text = format!("Using node profile \"{}\".", p.name);
            out(&p, text)
        }
        NodeCmd::Remove { profile, yes } => {
            if !yes {
                return Err(ApiError::new(
                    ErrorCode::NotConfirmed,
                    "Removing a profile deletes its macaroon and wallet password from the keychain; add --yes to confirm.",
                ));
            }
            let p = ctx.profiles.remove(&profile, crate::app_password()).await?;
            let text = format!("Removed node profile \"{}\".", p.name);
            out(&p, text)
        }
        NodeCmd::Init {
            name,
            endpoint,
            cert_file,
            wallet,
            rescan,
        } => {
            let p = ctx
                .profiles
                .init_node(
                    &ctx.wallets,
                    InitNodeRequest {
                        name,
                        endpoint,
                        tls_cert_path: cert_file,
                        wallet,
                        rescan,
                    },
                )
                .await?;
            let text = format!(
                "The node's wallet now derives from your words; profile \"{}\" ({}) unlocks it on start-up.",
                p.name, p.id
            );
            out(&p, text)
        }
        NodeCmd::Password {
            profile,
            passphrase_stdin,
        } => {
            let p = ctx.profiles.resolve(&profile).await?;
            let confirmation = crate::reveal_confirmation(&ctx.wallets, || {
                if passphrase_stdin {
                    Ok(switchyard_core::confirm::Confirmation::passphrase(
                        secrecy::SecretString::from(std::mem::take(&mut *read_stdin(
                            "the passphrase",
                        )?)),
                    ))
                } else {
                    crate::code_from_terminal(
                        &ctx.wallets,
                        switchyard_core::confirm::ConfirmTarget::NodePassword {
                            profile_id: p.id.clone(),
                        },
                        &format!("reveal the wallet password of \"{}\"", p.name),
                    )
                }
            })?;
            let revealed = ctx
                .profiles
                .reveal_password(&ctx.wallets, &p.id, &confirmation)
                .await?;
            let text = revealed.password.clone();
            out(&revealed, text)
        }
        NodeCmd::Macaroon {
            profile,
            macaroon_file,
        } => {
            let p = ctx.profiles.set_macaroon(&profile, &macaroon_file).await?;
            let text = format!("Macaroon stored for \"{}\".", p.name);
            out(&p, text)
        }
        NodeCmd::Unlock { remember } => {
            let mut password = read_stdin("the wallet password")?;
            let name = match args.source(&ctx).await? {
                Some(s) => s.name.clone(),
                None => {
                    return Err(ApiError::new(
                        ErrorCode::NodeNotConfigured,
                        "No node is set up to unlock.",
                    ))
                }
            };
            let p = ctx
                .profiles
                .unlock(
                    &name,
                    secrecy::SecretString::from(std::mem::take(&mut *password)),
                    remember,
                )
                .await?;
            let text = format!("Unlocked the wallet of \"{}\".", p.name);
            out(&p, text)
        }
    }
}
