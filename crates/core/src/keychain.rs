//! The OS keychain: the only place a seed (words and passphrase) is kept.
//!
//! On Linux this is the Secret Service (gnome-keyring, KWallet, KeePassXC) over
//! D-Bus; on macOS the login keychain; on Windows the credential manager. All
//! entries share one service name; the account names are `wallet/<id>/seed`.
//!
//! Every call blocks (D-Bus round trips of ~50 ms); async callers run them on a
//! blocking thread. [`SecretStore`] is the seam the wallet service is written
//! against, so its unit tests can inject keychain failures; the integration
//! tests and the app use [`OsKeychain`], the real thing.

use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::Mutex;

/// The service name entries are filed under unless configured otherwise.
pub const DEFAULT_SERVICE: &str = "org.switchyard.wallet";

/// Why the keychain could not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeychainError {
    /// No keychain service answers (no Secret Service on the session bus).
    #[error("The system keychain is not available, so Switchyard cannot keep your recovery words safe. On Linux, start a Secret Service such as GNOME Keyring or KWallet and try again.")]
    Unavailable {
        /// What the platform said.
        detail: String,
    },
    /// A keychain answers but refuses access (locked, prompt dismissed).
    #[error("The system keychain is locked. Unlock it (for example by logging in to your desktop session again) and try again.")]
    Locked {
        /// What the platform said.
        detail: String,
    },
    /// Anything else the platform reported.
    #[error("The system keychain reported an error: {detail}")]
    Other {
        /// What the platform said.
        detail: String,
    },
}

/// A place to keep secrets by name.
pub trait SecretStore: Send + Sync {
    /// Stores (or replaces) a secret.
    fn put(&self, name: &str, secret: &SecretString) -> Result<(), KeychainError>;
    /// Reads a secret; `Ok(None)` when there is none by that name.
    fn get(&self, name: &str) -> Result<Option<SecretString>, KeychainError>;
    /// Deletes a secret; deleting a missing one is not an error.
    fn delete(&self, name: &str) -> Result<(), KeychainError>;
}

/// The operating system's keychain: on Linux our own Secret Service client
/// ([`secret_service`]), elsewhere through the `keyring` crate.
#[derive(Debug, Clone)]
pub struct OsKeychain {
    service: String,
}

impl OsKeychain {
    /// Entries under `service` (use [`DEFAULT_SERVICE`] outside tests).
    pub fn new(service: impl Into<String>) -> Self {
        OsKeychain {
            service: service.into(),
        }
    }

    /// The service name.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Writes, reads back and deletes a probe entry: proves the keychain is
    /// there, unlocked and persistent-capable before the user trusts it.
    pub fn probe(&self) -> Result<(), KeychainError> {
        let name = "probe";
        let value = SecretString::from(format!("probe-{}", rand::random::<u64>()));
        self.put(name, &value)?;
        let back = self.get(name)?;
        self.delete(name)?;
        match back {
            Some(v) if v.expose_secret() == value.expose_secret() => Ok(()),
            _ => Err(KeychainError::Other {
                detail: "a value written to the keychain could not be read back".into(),
            }),
        }
    }
}

#[cfg(target_os = "linux")]
impl SecretStore for OsKeychain {
    fn put(&self, name: &str, secret: &SecretString) -> Result<(), KeychainError> {
        secret_service::put(&self.service, name, secret)
    }

    fn get(&self, name: &str) -> Result<Option<SecretString>, KeychainError> {
        secret_service::get(&self.service, name)
    }

    fn delete(&self, name: &str) -> Result<(), KeychainError> {
        secret_service::delete(&self.service, name)
    }
}

#[cfg(not(target_os = "linux"))]
impl OsKeychain {
    fn entry(&self, name: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, name).map_err(map_keyring)
    }
}

#[cfg(not(target_os = "linux"))]
fn map_keyring(e: keyring::Error) -> KeychainError {
    let detail = e.to_string();
    match e {
        keyring::Error::NoStorageAccess(_) => KeychainError::Locked { detail },
        keyring::Error::PlatformFailure(_) => KeychainError::Unavailable { detail },
        _ => KeychainError::Other { detail },
    }
}

#[cfg(not(target_os = "linux"))]
impl SecretStore for OsKeychain {
    fn put(&self, name: &str, secret: &SecretString) -> Result<(), KeychainError> {
        self.entry(name)?
            .set_password(secret.expose_secret())
            .map_err(map_keyring)
    }

    fn get(&self, name: &str) -> Result<Option<SecretString>, KeychainError> {
        match self.entry(name)?.get_password() {
            Ok(s) => Ok(Some(SecretString::from(s))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn delete(&self, name: &str) -> Result<(), KeychainError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring(e)),
        }
    }
}

/// The Secret Service (freedesktop.org) over D-Bus, as the process's one
/// client: one connection and one encrypted session, opened on first use and
/// kept, every call made under one lock.
///
/// Why not a connection per call (what the `keyring` crate does): each one
/// negotiates a new session, and gnome-keyring (42 to 50 at least) aborts
/// when a new client's `OpenSession` is handled before the daemon has
/// registered that client (`gkd_secret_service_get_pkcs11_session: assertion
/// 'client' failed`, then `g_variant_new` on NULL; upstream issues #190,
/// #195, #196). The daemon dies, D-Bus starts a new one, and its login
/// keyring comes back locked — every later call fails until the user unlocks
/// it. Bursts of new sessions make that likely: our CI lost the daemon in 4
/// runs of 10 (kernel: `trap int3 … in libglib`). One session per process
/// makes the burst impossible from us.
///
/// Items carry the attributes the `keyring` crate gave them (`service`,
/// `username`, `target` = `default`), so entries made before are found.
#[cfg(target_os = "linux")]
pub mod secret_service {
    use super::KeychainError;
    use dbus_secret_service::{EncryptionType, Error, SecretService};
    use secrecy::{ExposeSecret, SecretString};
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// How long an unlock prompt of the desktop may wait for the user.
    const PROMPT_SECS: u64 = 120;

    static CLIENT: Mutex<Option<SecretService>> = Mutex::new(None);

    /// Sessions opened by this process so far (the tests check it stays 1).
    static SESSIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// How many Secret Service sessions this process has opened.
    pub fn sessions_opened() -> usize {
        SESSIONS.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn attributes<'a>(service: &'a str, name: &'a str) -> HashMap<&'a str, &'a str> {
        HashMap::from([
            ("target", "default"),
            ("service", service),
            ("username", name),
        ])
    }

    /// Whether `e` says our connection or session is gone (the daemon was
    /// restarted, or the bus dropped us): a fresh one may succeed.
    fn stale(e: &Error) -> bool {
        match e {
            Error::Dbus(d) => matches!(
                d.name(),
                Some(
                    "org.freedesktop.DBus.Error.Disconnected"
                        | "org.freedesktop.DBus.Error.NoReply"
                        | "org.freedesktop.DBus.Error.ServiceUnknown"
                        | "org.freedesktop.DBus.Error.NameHasNoOwner"
                        | "org.freedesktop.DBus.Error.UnknownObject"
                        | "org.freedesktop.DBus.Error.UnknownMethod"
                        | "org.freedesktop.Secret.Error.NoSession"
                )
            ),
            _ => false,
        }
    }

    fn map(e: Error) -> KeychainError {
        let detail = e.to_string();
        match &e {
            Error::Locked | Error::Prompt | Error::NoResult => KeychainError::Locked { detail },
            Error::Unavailable => KeychainError::Unavailable { detail },
            Error::Dbus(d) => match d.name() {
                Some("org.freedesktop.Secret.Error.IsLocked") => KeychainError::Locked { detail },
                Some(
                    "org.freedesktop.DBus.Error.ServiceUnknown"
                    | "org.freedesktop.DBus.Error.NameHasNoOwner"
                    | "org.freedesktop.DBus.Error.NoServer"
                    | "org.freedesktop.DBus.Error.FileNotFound"
                    | "org.freedesktop.DBus.Error.NotSupported"
                    | "org.freedesktop.DBus.Error.Disconnected"
                    | "org.freedesktop.DBus.Error.NoReply"
                    | "org.freedesktop.DBus.Error.Spawn.ChildExited",
                )
                | None => KeychainError::Unavailable { detail },
                Some(_) => KeychainError::Other { detail },
            },
            _ => KeychainError::Other { detail },
        }
    }

    /// Runs `f` on the process's session, opening it first if needed. A
    /// session found gone (the daemon restarted) is replaced once.
    fn with<T>(f: impl Fn(&SecretService) -> Result<T, Error>) -> Result<T, KeychainError> {
        let mut client = CLIENT.lock().unwrap_or_else(|p| p.into_inner());
        let mut reopened = false;
        loop {
            let ss = match client.as_ref() {
                Some(ss) => ss,
                None => {
                    let ss = SecretService::connect_with_max_prompt_timeout(
                        EncryptionType::Dh,
                        PROMPT_SECS,
                    )
                    .map_err(map)?;
                    SESSIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    client.insert(ss)
                }
            };
            match f(ss) {
                Ok(v) => return Ok(v),
                Err(e) if stale(&e) => {
                    *client = None;
                    if reopened {
                        return Err(map(e));
                    }
                    tracing::warn!(error = %e, "the keychain's session is gone; opening a new one");
                    reopened = true;
                }
                Err(e) => return Err(map(e)),
            }
        }
    }

    fn ambiguous(service: &str, name: &str, n: usize) -> Error {
        Error::Path(format!(
            "{n} keychain items match {name} of {service}; expected one"
        ))
    }

    /// Stores (or replaces) the secret `name` of `service`.
    pub fn put(service: &str, name: &str, secret: &SecretString) -> Result<(), KeychainError> {
        with(|ss| {
            let found = ss.search_items(attributes(service, name))?;
            let items: Vec<_> = found.unlocked.iter().chain(found.locked.iter()).collect();
            match items.as_slice() {
                [] => {
                    let collection = ss.get_default_collection()?;
                    collection.ensure_unlocked()?;
                    let mut attrs = attributes(service, name);
                    attrs.insert("application", "switchyard");
                    collection.create_item(
                        &format!("{name}@{service}"),
                        attrs,
                        secret.expose_secret().as_bytes(),
                        true,
                        "text/plain",
                    )?;
                    Ok(())
                }
                [item] => {
                    item.ensure_unlocked()?;
                    item.set_secret(secret.expose_secret().as_bytes(), "text/plain")
                }
                many => Err(ambiguous(service, name, many.len())),
            }
        })
    }

    /// Reads the secret `name` of `service`; `None` when there is none.
    pub fn get(service: &str, name: &str) -> Result<Option<SecretString>, KeychainError> {
        with(|ss| {
            let found = ss.search_items(attributes(service, name))?;
            let items: Vec<_> = found.unlocked.iter().chain(found.locked.iter()).collect();
            match items.as_slice() {
                [] => Ok(None),
                [item] => {
                    item.ensure_unlocked()?;
                    let bytes = zeroize::Zeroizing::new(item.get_secret()?);
                    let text = std::str::from_utf8(&bytes).map_err(|_| Error::Parse)?;
                    Ok(Some(SecretString::from(text.to_string())))
                }
                many => Err(ambiguous(service, name, many.len())),
            }
        })
    }

    /// Deletes the secret `name` of `service` (every copy); none is fine.
    pub fn delete(service: &str, name: &str) -> Result<(), KeychainError> {
        with(|ss| {
            let found = ss.search_items(attributes(service, name))?;
            for item in found.unlocked.iter().chain(found.locked.iter()) {
                item.ensure_unlocked()?;
                item.delete()?;
            }
            Ok(())
        })
    }
}

/// An in-process store for unit tests of code written against [`SecretStore`],
/// with a switch to make every call fail. Never used by the app or the CLI:
/// secrets kept here vanish when the process ends.
#[derive(Default)]
pub struct MemoryKeychain {
    entries: Mutex<HashMap<String, SecretString>>,
    fail_with: Mutex<Option<KeychainError>>,
}

impl MemoryKeychain {
    /// Every later call fails with `err` (or succeeds again with `None`).
    pub fn fail_with(&self, err: Option<KeychainError>) {
        *self.fail_with.lock().unwrap_or_else(|p| p.into_inner()) = err;
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many entries hold a wallet's seed (`wallet/…`; the audit log
    /// keeps its own keys beside them).
    pub fn seeds(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .filter(|k| k.starts_with("wallet/"))
            .count()
    }

    fn check(&self) -> Result<(), KeychainError> {
        match &*self.fail_with.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

impl SecretStore for MemoryKeychain {
    fn put(&self, name: &str, secret: &SecretString) -> Result<(), KeychainError> {
        self.check()?;
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), secret.clone());
        Ok(())
    }

    fn get(&self, name: &str) -> Result<Option<SecretString>, KeychainError> {
        self.check()?;
        Ok(self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned())
    }

    fn delete(&self, name: &str) -> Result<(), KeychainError> {
        self.check()?;
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        Ok(())
    }
}
