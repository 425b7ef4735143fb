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

/// The operating system's keychain, through the `keyring` crate.
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

    fn entry(&self, name: &str) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(&self.service, name).map_err(map_keyring)
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

fn map_keyring(e: keyring::Error) -> KeychainError {
    let detail = e.to_string();
    match e {
        keyring::Error::NoStorageAccess(_) => KeychainError::Locked { detail },
        keyring::Error::PlatformFailure(_) => KeychainError::Unavailable { detail },
        _ => KeychainError::Other { detail },
    }
}

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
