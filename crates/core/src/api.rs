//! The one error shape that crosses the IPC boundary and the CLI's `--json`
//! output: `{ code, message, detail }`.
//!
//! `code` is stable and the UI branches on it; `message` is a whole sentence a
//! user can act on; `detail` is the technical cause, for a "details" toggle and
//! bug reports. None of them ever contains a secret: module errors are built
//! to carry positions and names, not words or keys.

use crate::keychain::KeychainError;
use crate::keys::{AddressError, DeriveError, MnemonicError, PathError};
use crate::node::invoice::InvoiceError;
use crate::node::{NodeError, NodeStatus, PaymentFailure};
use crate::profiles::ProfileError;
use crate::store::StoreError;
use crate::wallet::WalletError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What kind of failure, for the UI to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// Recovery words: none entered.
    MnemonicEmpty,
    /// Recovery words: a word not in the English list.
    MnemonicUnknownWord,
    /// Recovery words: wrong count.
    MnemonicWordCount,
    /// Recovery words: checksum mismatch.
    MnemonicChecksum,
    /// Recovery words: another language.
    MnemonicNotEnglish,
    /// A derivation path.
    InvalidPath,
    /// Not an address.
    InvalidAddress,
    /// An address (or key) for another network.
    WrongNetwork,
    /// No keychain service.
    KeychainUnavailable,
    /// Keychain locked or access refused.
    KeychainLocked,
    /// Other keychain failure.
    KeychainError,
    /// A wallet's seed is missing from the keychain.
    SeedMissing,
    /// No such wallet.
    WalletNotFound,
    /// The name is taken or invalid.
    InvalidName,
    /// The same seed is already a wallet.
    DuplicateWallet,
    /// Wrong passphrase or missing confirmation.
    NotConfirmed,
    /// Too many wrong confirmations: wait before the next.
    TooManyAttempts,
    /// A wallet whose words initialised nodes: deleting needs them named.
    WalletHasNodes,
    /// The wallet has swaps that are not finished.
    WalletHasSwaps,
    /// A node password that exists only in the keychain: reveal it first.
    PasswordNotSaved,
    /// LND may have created the wallet: the password was kept.
    InitUnconfirmed,
    /// A channel backup LND announced could not be saved to disk.
    BackupNotSaved,
    /// A request field out of range.
    InvalidRequest,
    /// The database.
    Storage,
    /// No regtest network runs in the directory.
    RegtestNotRunning,
    /// The regtest daemons are not built.
    RegtestMissingBinary,
    /// The regtest network failed to start or to do what was asked.
    RegtestFailed,
    /// No node is set up.
    NodeNotConfigured,
    /// The node does not answer.
    NodeUnreachable,
    /// The node's TLS certificate is not the profile's.
    NodeTlsMismatch,
    /// Other TLS failure.
    NodeTls,
    /// The node refused the macaroon.
    MacaroonRejected,
    /// The node's wallet is locked.
    WalletLocked,
    /// The node has no wallet yet.
    NodeNoWallet,
    /// The node is still syncing to the chain.
    NodeSyncing,
    /// No node profile by that name or id.
    ProfileNotFound,
    /// LND is starting.
    NodeStarting,
    /// No instance of the node's LND cluster leads (a failover, or etcd lost its quorum).
    ClusterNoLeader,
    /// LND is too old.
    NodeTooOld,
    /// A malformed lndconnect URI.
    InvalidLndconnect,
    /// Another error from the node.
    NodeRpc,
    /// Not enough on-chain funds.
    InsufficientFunds,
    /// Not enough outbound channel balance.
    InsufficientBalance,
    /// A peer could not be reached.
    PeerUnreachable,
    /// No such channel.
    ChannelNotFound,
    /// No route for a payment.
    NoRoute,
    /// The invoice was already paid.
    AlreadyPaid,
    /// A payment failed for another reason.
    PaymentFailed,
    /// The node went down mid-payment; the outcome is not known yet.
    PaymentPending,
    /// Not a BOLT 11 invoice.
    InvalidInvoice,
    /// The invoice has expired.
    InvoiceExpired,
    /// An amount above the bitcoin supply (or otherwise out of range).
    AmountOutOfRange,
    /// A route's fee rose above the fee the user agreed to; nothing was sent.
    FeeAboveLimit,
    /// A fee rate far above the node's estimate: the user must confirm it.
    FeeRateHigh,
    /// The swap provider could not be reached or did not answer in time.
    SwapProviderUnreachable,
    /// The swap provider refused the request.
    SwapProviderRefused,
    /// The swap provider's answer failed our checks (wrong keys, scripts,
    /// address, amounts or time lock): nothing was sent or paid.
    SwapRefused,
    /// No such swap.
    SwapNotFound,
    /// A watch-only wallet was asked for its words or keys.
    WatchOnly,
    /// An extended public key or descriptor that cannot be watched.
    InvalidKey,
    /// HWI (the hardware wallet interface) is not installed.
    HwiMissing,
    /// No hardware wallet connected (or several, none chosen).
    DeviceNotFound,
    /// The device is locked or its app is not open.
    DeviceNotReady,
    /// The user declined on the device.
    DeviceDeclined,
    /// The device failed or showed something else than expected.
    DeviceError,
    /// A signed PSBT that does not hold (a bad signature, another
    /// transaction than the one reviewed).
    PsbtRejected,
    /// The audit log's keys are damaged, or no such entry or head.
    AuditLog,
    /// The app is locked: only unlocking is possible.
    AppLocked,
    /// A wrong app password (counted).
    WrongPassword,
    /// No app password is set.
    NoAppPassword,
    /// A sensitive action needs the app password typed again.
    PasswordNeeded,
    /// A file that is not a Switchyard audit file.
    InvalidAuditFile,
    /// Anything else.
    Internal,
}

/// A failure, as the UI and `--json` scripts see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct ApiError {
    /// Stable code.
    pub code: ErrorCode,
    /// A sentence for the user.
    pub message: String,
    /// The technical cause, if any.
    pub detail: Option<String>,
}

impl ApiError {
    /// An error with no technical detail.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            detail: None,
        }
    }

    fn with_detail(code: ErrorCode, message: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            detail: Some(detail.into()),
        }
    }
}

impl From<MnemonicError> for ApiError {
    fn from(e: MnemonicError) -> Self {
        let code = match e {
            MnemonicError::Empty => ErrorCode::MnemonicEmpty,
            MnemonicError::NotEnglish { .. } => ErrorCode::MnemonicNotEnglish,
            MnemonicError::UnknownWord { .. } => ErrorCode::MnemonicUnknownWord,
            MnemonicError::BadWordCount { .. } => ErrorCode::MnemonicWordCount,
            MnemonicError::BadChecksum => ErrorCode::MnemonicChecksum,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<PathError> for ApiError {
    fn from(e: PathError) -> Self {
        ApiError::new(ErrorCode::InvalidPath, e.to_string())
    }
}

impl From<AddressError> for ApiError {
    fn from(e: AddressError) -> Self {
        let code = match e {
            AddressError::Malformed { .. } => ErrorCode::InvalidAddress,
            AddressError::WrongNetwork { .. } => ErrorCode::WrongNetwork,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<KeychainError> for ApiError {
    fn from(e: KeychainError) -> Self {
        let (code, detail) = match &e {
            KeychainError::Unavailable { detail } => (ErrorCode::KeychainUnavailable, detail),
            KeychainError::Locked { detail } => (ErrorCode::KeychainLocked, detail),
            KeychainError::Other { detail } => (ErrorCode::KeychainError, detail),
        };
        ApiError::with_detail(code, e.to_string(), detail.clone())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::with_detail(
            ErrorCode::Storage,
            "Switchyard could not read or write its database. Nothing was changed; try again, and if it keeps failing, check the disk and the data directory.",
            e.to_string(),
        )
    }
}

impl From<DeriveError> for ApiError {
    fn from(e: DeriveError) -> Self {
        match e {
            DeriveError::Mnemonic(m) => m.into(),
            DeriveError::Path(p) => p.into(),
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        let (code, detail) = match &e {
            NodeError::Unreachable { detail, .. } => {
                (ErrorCode::NodeUnreachable, Some(detail.clone()))
            }
            NodeError::TlsMismatch { .. } => (ErrorCode::NodeTlsMismatch, None),
            NodeError::Tls { detail, .. } => (ErrorCode::NodeTls, Some(detail.clone())),
            NodeError::MacaroonRejected { detail } => {
                (ErrorCode::MacaroonRejected, Some(detail.clone()))
            }
            NodeError::WalletLocked => (ErrorCode::WalletLocked, None),
            NodeError::Starting => (ErrorCode::NodeStarting, None),
            NodeError::NoLeader { .. } => (ErrorCode::ClusterNoLeader, None),
            NodeError::NoWallet => (ErrorCode::NodeNoWallet, None),
            NodeError::Syncing { detail } => (ErrorCode::NodeSyncing, Some(detail.clone())),
            NodeError::WrongNetwork { .. } => (ErrorCode::WrongNetwork, None),
            NodeError::TooOld { .. } => (ErrorCode::NodeTooOld, None),
            NodeError::LndConnect(_) => (ErrorCode::InvalidLndconnect, None),
            NodeError::File { .. } => (ErrorCode::InvalidRequest, None),
            NodeError::NotConfigured => (ErrorCode::NodeNotConfigured, None),
            NodeError::Rpc { detail } => (ErrorCode::NodeRpc, Some(detail.clone())),
            NodeError::InsufficientFunds { detail } => {
                (ErrorCode::InsufficientFunds, Some(detail.clone()))
            }
            NodeError::PeerUnreachable { detail, .. } => {
                (ErrorCode::PeerUnreachable, Some(detail.clone()))
            }
            NodeError::BadRequest { .. } => (ErrorCode::InvalidRequest, None),
            NodeError::ChannelNotFound { .. } => (ErrorCode::ChannelNotFound, None),
            NodeError::PaymentFailed { reason, detail } => (
                match reason {
                    PaymentFailure::NoRoute => ErrorCode::NoRoute,
                    PaymentFailure::InsufficientBalance => ErrorCode::InsufficientBalance,
                    PaymentFailure::AlreadyPaid => ErrorCode::AlreadyPaid,
                    _ => ErrorCode::PaymentFailed,
                },
                (!detail.is_empty()).then(|| detail.clone()),
            ),
            NodeError::PaymentPending { payment_hash } => {
                (ErrorCode::PaymentPending, Some(payment_hash.clone()))
            }
            NodeError::Invoice(i) => (invoice_code(i), None),
            NodeError::Amount(_) => (ErrorCode::AmountOutOfRange, None),
            NodeError::FeeAboveLimit { .. } => (ErrorCode::FeeAboveLimit, None),
            NodeError::HighFeeRate { .. } => (ErrorCode::FeeRateHigh, None),
            NodeError::Internal { detail } => (ErrorCode::Internal, Some(detail.clone())),
        };
        ApiError {
            code,
            message: e.to_string(),
            detail,
        }
    }
}

/// An invoice the user gave, as the UI branches on it.
fn invoice_code(e: &InvoiceError) -> ErrorCode {
    match e {
        InvoiceError::Empty
        | InvoiceError::Malformed { .. }
        | InvoiceError::FinalCltvTooLarge { .. } => ErrorCode::InvalidInvoice,
        InvoiceError::WrongNetwork { .. } => ErrorCode::WrongNetwork,
        InvoiceError::Expired { .. } => ErrorCode::InvoiceExpired,
        InvoiceError::AmountMissing
        | InvoiceError::AmountFixed { .. }
        | InvoiceError::AmountTooLarge { .. } => ErrorCode::InvalidRequest,
    }
}

impl From<ProfileError> for ApiError {
    fn from(e: ProfileError) -> Self {
        match e {
            ProfileError::Node(n) => n.into(),
            ProfileError::Wallet(w) => w.into(),
            ProfileError::Keychain(k) => k.into(),
            ProfileError::Store(s) => s.into(),
            ProfileError::NotFound { .. } => {
                ApiError::new(ErrorCode::ProfileNotFound, e.to_string())
            }
            ProfileError::BadName
            | ProfileError::NameTaken { .. }
            | ProfileError::BuiltIn { .. } => ApiError::new(ErrorCode::InvalidName, e.to_string()),
            ProfileError::MacaroonMissing { .. } => {
                ApiError::new(ErrorCode::MacaroonRejected, e.to_string())
            }
            ProfileError::AlreadyInitialised { .. } => {
                ApiError::new(ErrorCode::InvalidRequest, e.to_string())
            }
            ProfileError::PasswordOnlyHere { .. } => {
                ApiError::new(ErrorCode::PasswordNotSaved, e.to_string())
            }
            ProfileError::InitUnconfirmed { ref detail, .. } => {
                ApiError::with_detail(ErrorCode::InitUnconfirmed, e.to_string(), detail.clone())
            }
            ProfileError::NoPassword { .. } => {
                ApiError::new(ErrorCode::InvalidRequest, e.to_string())
            }
            ProfileError::NetworkMismatch { .. } => {
                ApiError::new(ErrorCode::WrongNetwork, e.to_string())
            }
            ProfileError::Task(ref d) => ApiError::with_detail(
                ErrorCode::Internal,
                "An internal error stopped the operation; nothing was changed.",
                d.clone(),
            ),
        }
    }
}

impl From<WalletError> for ApiError {
    fn from(e: WalletError) -> Self {
        match e {
            WalletError::Mnemonic(m) => m.into(),
            WalletError::Address(a) => a.into(),
            WalletError::Keychain(k) => k.into(),
            WalletError::Store(s) => s.into(),
            WalletError::NotFound { .. } => ApiError::new(ErrorCode::WalletNotFound, e.to_string()),
            WalletError::BadName | WalletError::NameTaken { .. } => {
                ApiError::new(ErrorCode::InvalidName, e.to_string())
            }
            WalletError::Duplicate { .. } => {
                ApiError::new(ErrorCode::DuplicateWallet, e.to_string())
            }
            WalletError::SecretMissing { .. } | WalletError::SecretUnreadable { .. } => {
                ApiError::new(ErrorCode::SeedMissing, e.to_string())
            }
            WalletError::NotConfirmed(_) => ApiError::new(ErrorCode::NotConfirmed, e.to_string()),
            WalletError::TooSoon { .. } => ApiError::new(ErrorCode::TooManyAttempts, e.to_string()),
            WalletError::LinkedNodes { .. } => {
                ApiError::new(ErrorCode::WalletHasNodes, e.to_string())
            }
            WalletError::OpenSwaps(_) => ApiError::new(ErrorCode::WalletHasSwaps, e.to_string()),
            WalletError::BadRequest(_) => ApiError::new(ErrorCode::InvalidRequest, e.to_string()),
            WalletError::WatchOnly { .. } => ApiError::new(ErrorCode::WatchOnly, e.to_string()),
            WalletError::AppLock(l) => l.into(),
            WalletError::Watch(_) => ApiError::new(ErrorCode::InvalidKey, e.to_string()),
            WalletError::Task(ref d) => {
                tracing::error!(error = %d, "internal task failed");
                ApiError::with_detail(
                    ErrorCode::Internal,
                    "An internal error stopped the operation; nothing was changed.",
                    d.clone(),
                )
            }
        }
    }
}

/// The node's status as the header and `node status --json` show it: the
/// node layer's status with its error as an [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, rename = "NodeStatus")]
pub struct NodeStatusView {
    /// Connection state, the node's figures, the events stream.
    #[serde(flatten)]
    #[ts(flatten)]
    pub status: NodeStatus,
    /// Why it is disconnected.
    pub error: Option<ApiError>,
}

impl From<crate::psbt::PsbtError> for ApiError {
    fn from(e: crate::psbt::PsbtError) -> Self {
        use crate::psbt::PsbtError as P;
        match e {
            P::Wallet(w) => w.into(),
            P::Parse(_) | P::Sign(_) | P::Finalize(_) | P::SeveralWallets => {
                ApiError::new(ErrorCode::InvalidRequest, e.to_string())
            }
            P::File { .. } => ApiError::new(ErrorCode::Internal, e.to_string()),
            P::NoWallet => ApiError::new(ErrorCode::WalletNotFound, e.to_string()),
            P::Verify(_) => ApiError::new(ErrorCode::PsbtRejected, e.to_string()),
            P::Descriptor(ref d) => ApiError::with_detail(
                ErrorCode::Internal,
                "The wallet's descriptors could not be read back.",
                d.clone(),
            ),
        }
    }
}

impl From<crate::signer::SignerError> for ApiError {
    fn from(e: crate::signer::SignerError) -> Self {
        use crate::signer::SignerError as S;
        let e = match e {
            S::Wallet(w) => return w.into(),
            other => other,
        };
        let code = match &e {
            S::Wallet(_) => ErrorCode::Internal,
            S::HwiMissing(_) => ErrorCode::HwiMissing,
            S::NoDevice(_) => ErrorCode::DeviceNotFound,
            S::NotReady(_) | S::OldApp { .. } | S::WrongApp { .. } => ErrorCode::DeviceNotReady,
            S::Declined(_) => ErrorCode::DeviceDeclined,
            S::Device { .. } | S::AddressMismatch { .. } | S::SignedNothing(_) => {
                ErrorCode::DeviceError
            }
            S::Refused(_) | S::Invalid(_) => ErrorCode::InvalidRequest,
            S::Verify(_) => ErrorCode::PsbtRejected,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<crate::spend::SpendError> for ApiError {
    fn from(e: crate::spend::SpendError) -> Self {
        use crate::spend::SpendError as S;
        match e {
            S::Node(n) => n.into(),
            S::Signer(s) => s.into(),
            S::Finalize(_) | S::ChangeNotOurs { .. } | S::FundingMismatch { .. } => {
                ApiError::new(ErrorCode::PsbtRejected, e.to_string())
            }
            S::Expired => ApiError::new(ErrorCode::InvalidRequest, e.to_string()),
            S::FeeAboveLimit { .. } => ApiError::new(ErrorCode::FeeAboveLimit, e.to_string()),
        }
    }
}

impl From<crate::cold::ColdError> for ApiError {
    fn from(e: crate::cold::ColdError) -> Self {
        use crate::cold::ColdError as C;
        match e {
            C::Wallet(w) => w.into(),
            C::Signer(s) => s.into(),
            C::Node(n) => n.into(),
            C::Spend(s) => s.into(),
            C::Address(a) => a.into(),
            C::Psbt(p) => p.into(),
            C::DeviceMissing { .. } => ApiError::new(ErrorCode::DeviceNotFound, e.to_string()),
            C::Swap(s) => s.into(),
            C::NoAccount
            | C::Mismatch
            | C::NotImported(_)
            | C::NoAmount
            | C::NoPending
            | C::SwapNotAwaiting(_) => ApiError::new(ErrorCode::InvalidRequest, e.to_string()),
        }
    }
}

impl From<crate::seal::SealError> for ApiError {
    fn from(e: crate::seal::SealError) -> Self {
        let code = match e {
            crate::seal::SealError::BadKey => ErrorCode::InvalidRequest,
            crate::seal::SealError::Crypto => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<crate::lock::LockError> for ApiError {
    fn from(e: crate::lock::LockError) -> Self {
        use crate::lock::LockError;
        let code = match e {
            LockError::Store(s) => return s.into(),
            LockError::Locked => ErrorCode::AppLocked,
            LockError::NoPassword | LockError::PasswordFirst => ErrorCode::NoAppPassword,
            LockError::Wrong => ErrorCode::WrongPassword,
            LockError::PasswordNeeded => ErrorCode::PasswordNeeded,
            LockError::TooSoon { .. } => ErrorCode::TooManyAttempts,
            LockError::TooShort | LockError::BadIdle => ErrorCode::InvalidRequest,
            LockError::Damaged(_) => ErrorCode::Internal,
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<crate::audit::AuditError> for ApiError {
    fn from(e: crate::audit::AuditError) -> Self {
        use crate::audit::AuditError;
        match e {
            AuditError::Store(s) => s.into(),
            AuditError::Keychain(k) => k.into(),
            AuditError::Write { .. } => ApiError::new(ErrorCode::InvalidRequest, e.to_string()),
            AuditError::BadKey(_) | AuditError::NotFound(_) => {
                ApiError::new(ErrorCode::AuditLog, e.to_string())
            }
            AuditError::UnknownKind(_) => ApiError::new(ErrorCode::InvalidRequest, e.to_string()),
            AuditError::Broken(_) => ApiError::new(ErrorCode::AuditLog, e.to_string()),
            AuditError::Zk(z) => z.into(),
        }
    }
}

impl From<switchyard_zk::audit::AuditZkError> for ApiError {
    fn from(e: switchyard_zk::audit::AuditZkError) -> Self {
        use switchyard_zk::audit::AuditZkError as Z;
        use switchyard_zk::ZkError;
        let code = match &e {
            Z::NotOurs(_) | Z::OtherCircuit(_) | Z::BadKey => ErrorCode::InvalidAuditFile,
            Z::Zk(ZkError::System(_)) => ErrorCode::Internal,
            Z::BadEntry(_) | Z::Tree(_) | Z::Head(_) => ErrorCode::AuditLog,
            Z::UnknownKind(_) | Z::BadSet(_) | Z::OtherSet(_) | Z::NoEntry(_) | Z::Zk(_) => {
                ErrorCode::InvalidRequest
            }
        };
        ApiError::new(code, e.to_string())
    }
}

impl From<switchyard_pure::audit::files::FileError> for ApiError {
    fn from(e: switchyard_pure::audit::files::FileError) -> Self {
        ApiError::new(ErrorCode::InvalidAuditFile, e.to_string())
    }
}

impl From<crate::swaps::SwapError> for ApiError {
    fn from(e: crate::swaps::SwapError) -> Self {
        use crate::swaps::{ProviderApiError as P, SwapError as S};
        match e {
            S::Node(n) => n.into(),
            S::Store(s) => s.into(),
            S::Wallet(w) => w.into(),
            S::Provider(P::Unreachable { .. } | P::BadUrl(_)) => {
                ApiError::new(ErrorCode::SwapProviderUnreachable, e.to_string())
            }
            S::Provider(P::Refused { .. }) | S::NoPair(_) => {
                ApiError::new(ErrorCode::SwapProviderRefused, e.to_string())
            }
            S::Provider(P::Malformed { .. }) | S::Check(_) => {
                ApiError::new(ErrorCode::SwapRefused, e.to_string())
            }
            S::FeeAboveLimit { .. } => ApiError::new(ErrorCode::FeeAboveLimit, e.to_string()),
            S::NotFound(_) => ApiError::new(ErrorCode::SwapNotFound, e.to_string()),
            S::WrongNetwork { .. } => ApiError::new(ErrorCode::WrongNetwork, e.to_string()),
            S::NoProvider => ApiError::new(ErrorCode::SwapProviderUnreachable, e.to_string()),
            S::NoWallet(_) => ApiError::new(ErrorCode::WalletNotFound, e.to_string()),
            // A lockup from another wallet that does not fit, in words.
            S::Funding(_) | S::NotFundable(_) => {
                ApiError::new(ErrorCode::InvalidRequest, e.to_string())
            }
            S::Corrupt(ref d) => ApiError::with_detail(
                ErrorCode::Internal,
                "A stored swap could not be read back.",
                d.clone(),
            ),
        }
    }
}

impl From<NodeStatus> for NodeStatusView {
    fn from(mut status: NodeStatus) -> Self {
        let error = status.error.take().map(ApiError::from);
        NodeStatusView { status, error }
    }
}

/// Secret arguments arriving over IPC (words, passphrase, codes).
pub use switchyard_pure::secret::SecretInput;
