//! Re-authentication before a secret leaves the keychain (the recovery
//! words, a node's generated wallet password) while no app password is set
//! (regtest users may skip it). Once one is set, the app password is the
//! only answer ([`Confirmation::AppPassword`], checked by
//! [`crate::lock::AppLock::reauth`]).
//!
//! Without it, two ways to prove intent, both checked here:
//! - **the wallet's BIP39 passphrase**, for a wallet that has one (compared
//!   in NFKD form, so NFC and NFD typing both match);
//! - **a one-time code** ([`Confirmer::challenge`]): six characters from an
//!   alphabet without look-alikes, shown *outside* the web view (the desktop
//!   shell puts it in a native dialog, the CLI on the terminal) so a script
//!   in the web view cannot read it from any state, valid once, for
//!   [`CODE_TTL_SECS`], for one target only.
//!
//! Wrong answers back off exponentially: after the n-th wrong answer in a
//! row, the next is accepted only [`backoff_secs`]`(n)` later (1 s, 2 s, 4 s,
//! … up to 15 minutes). The count lives in SQLite, so restarting the app does
//! not reset it; a right answer does. An attempt made too early is refused
//! without being counted.

use crate::store::{Store, StoreError};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use ts_rs::TS;

/// How long a code is valid, seconds.
pub const CODE_TTL_SECS: u64 = 300;
/// Characters a code is drawn from: no 0/O, 1/I/L, 5/S, 2/Z, 8/B.
const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";
/// Characters in a code.
const CODE_LEN: usize = 6;
/// The longest wait between attempts, seconds.
pub const MAX_BACKOFF_SECS: u64 = 15 * 60;

const FAILURES_KEY: &str = "confirm.failures";
/// When the last wrong answer was given, Unix milliseconds: a back-off of one
/// second is a whole second (whole-second times made it anything from 0 to 1 s).
const LAST_FAILURE_KEY: &str = "confirm.last_failure_ms";

/// What a confirmation unlocks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ConfirmTarget {
    /// Show a wallet's recovery words.
    Words {
        /// The wallet.
        wallet_id: String,
    },
    /// Show the wallet password `node init` generated for a node.
    NodePassword {
        /// The node profile.
        profile_id: String,
    },
}

/// A code to show the user out of band. `Debug` hides the code.
pub struct Challenge {
    /// Names the code when it comes back.
    pub id: String,
    /// What the user must type (shown outside the web view).
    pub code: SecretString,
    /// Unix seconds.
    pub expires_at: u64,
}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenge")
            .field("id", &self.id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What the web view learns of a challenge: never the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChallengeTicket {
    /// To send back with the typed code.
    pub challenge_id: String,
    /// Unix seconds.
    #[ts(type = "number")]
    pub expires_at: u64,
}

impl From<&Challenge> for ChallengeTicket {
    fn from(c: &Challenge) -> Self {
        ChallengeTicket {
            challenge_id: c.id.clone(),
            expires_at: c.expires_at,
        }
    }
}

/// The proof of intent that comes back. Secrets deserialize straight into
/// secret containers; `Debug` shows neither.
#[derive(Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Confirmation {
    /// The wallet's BIP39 passphrase.
    Passphrase {
        /// As typed.
        passphrase: crate::secret::SecretInput,
    },
    /// The app password, once one is set (then the only answer).
    AppPassword {
        /// As typed.
        password: crate::secret::SecretInput,
    },
    /// A code from [`Confirmer::challenge`].
    Code {
        /// The challenge it answers.
        challenge_id: String,
        /// As typed (case and spaces do not matter).
        code: crate::secret::SecretInput,
    },
}

impl std::fmt::Debug for Confirmation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Confirmation::Passphrase { .. } => f.write_str("Confirmation::Passphrase(<redacted>)"),
            Confirmation::AppPassword { .. } => {
                f.write_str("Confirmation::AppPassword(<redacted>)")
            }
            Confirmation::Code { challenge_id, .. } => f
                .debug_struct("Confirmation::Code")
                .field("challenge_id", challenge_id)
                .finish_non_exhaustive(),
        }
    }
}

impl Confirmation {
    /// A passphrase confirmation (for callers outside IPC: the CLI, tests).
    pub fn passphrase(p: SecretString) -> Confirmation {
        Confirmation::Passphrase {
            passphrase: crate::secret::SecretInput(p),
        }
    }

    /// An app password confirmation.
    pub fn app_password(p: SecretString) -> Confirmation {
        Confirmation::AppPassword {
            password: crate::secret::SecretInput(p),
        }
    }

    /// A code confirmation.
    pub fn code(challenge_id: impl Into<String>, code: SecretString) -> Confirmation {
        Confirmation::Code {
            challenge_id: challenge_id.into(),
            code: crate::secret::SecretInput(code),
        }
    }
}

/// Why a confirmation was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// The answer was wrong (counted).
    #[error("{0}")]
    Wrong(&'static str),
    /// Too soon after wrong answers (not counted).
    #[error("Too many wrong answers. Wait {retry_in_secs} seconds, then try again.")]
    TooSoon {
        /// Seconds until the next attempt is accepted.
        retry_in_secs: u64,
    },
    /// The database (the attempt count).
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Pending {
    target: ConfirmTarget,
    code: SecretString,
    expires_at: u64,
}

/// Issues codes and checks answers; cheap to clone (shared state).
#[derive(Clone)]
pub struct Confirmer {
    pending: Arc<Mutex<HashMap<String, Pending>>>,
    /// Unix milliseconds now (the system clock; a fixed one in tests, so that
    /// no test depends on how fast the machine is).
    clock: fn() -> u64,
    backoff: Backoff,
}

/// Wrong answers in a row, kept in the database under two settings so a
/// restart does not reset them, and the wait they impose
/// ([`backoff_secs`]). The confirmation codes and the app lock each keep
/// their own count.
#[derive(Clone)]
pub struct Backoff {
    store: Store,
    failures_key: &'static str,
    last_key: &'static str,
    clock: fn() -> u64,
}

impl Backoff {
    /// A count under `failures_key`, the last failure's time under `last_key`.
    pub fn new(
        store: Store,
        failures_key: &'static str,
        last_key: &'static str,
        clock: fn() -> u64,
    ) -> Backoff {
        Backoff {
            store,
            failures_key,
            last_key,
            clock,
        }
    }

    /// Wrong answers in a row, and when the last one was given (Unix milliseconds).
    pub async fn failures(&self) -> Result<(u32, u64), StoreError> {
        let n = self
            .store
            .setting(self.failures_key)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let at = self
            .store
            .setting(self.last_key)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok((n, at))
    }

    /// Seconds until the next attempt is accepted (0: now).
    pub async fn wait_secs(&self) -> Result<u64, StoreError> {
        let (n, at) = self.failures().await?;
        let ready = at.saturating_add(backoff_secs(n).saturating_mul(1000));
        let now = (self.clock)();
        Ok(if now < ready {
            (ready - now).div_ceil(1000)
        } else {
            0
        })
    }

    /// Records a right (resets the count) or wrong answer.
    pub async fn record(&self, right: bool) -> Result<(), StoreError> {
        if right {
            self.store.set_setting(self.failures_key, "0").await
        } else {
            let (n, _) = self.failures().await?;
            self.store
                .set_setting(self.failures_key, &n.saturating_add(1).to_string())
                .await?;
            self.store
                .set_setting(self.last_key, &(self.clock)().to_string())
                .await
        }
    }
}

/// Seconds to wait after `failures` wrong answers in a row: 0, then 1, 2, 4 …
/// doubling, at most [`MAX_BACKOFF_SECS`].
pub fn backoff_secs(failures: u32) -> u64 {
    match failures {
        0 => 0,
        n => 1u64
            .checked_shl(n - 1)
            .unwrap_or(u64::MAX)
            .min(MAX_BACKOFF_SECS),
    }
}

/// Unix milliseconds now.
pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn new_code() -> SecretString {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    let code: String = (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())]))
        .collect();
    SecretString::from(code)
}

/// Upper case, without spaces or dashes: how a typed code is compared.
fn canonical(code: &str) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(
        code.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect(),
    )
}

/// Equality that takes the same time wherever the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

impl Confirmer {
    /// Over `store` (for the attempt count).
    pub fn new(store: Store) -> Confirmer {
        Confirmer::with_clock(store, now_millis)
    }

    /// Over `store`, reading the time from `clock` (Unix milliseconds).
    pub fn with_clock(store: Store, clock: fn() -> u64) -> Confirmer {
        Confirmer {
            pending: Arc::new(Mutex::new(HashMap::new())),
            clock,
            backoff: Backoff::new(store, FAILURES_KEY, LAST_FAILURE_KEY, clock),
        }
    }

    /// A fresh code for `target`; earlier codes for the same target stop working.
    pub fn challenge(&self, target: ConfirmTarget) -> Challenge {
        let id = format!("c_{:016x}", rand::random::<u64>());
        let code = new_code();
        let now = (self.clock)() / 1000;
        let expires_at = now + CODE_TTL_SECS;
        if let Ok(mut p) = self.pending.lock() {
            p.retain(|_, v| v.target != target && v.expires_at > now);
            p.insert(
                id.clone(),
                Pending {
                    target,
                    code: code.clone(),
                    expires_at,
                },
            );
        }
        Challenge {
            id,
            code,
            expires_at,
        }
    }

    /// Wrong answers in a row, and when the last one was given (Unix milliseconds).
    pub async fn failures(&self) -> Result<(u32, u64), StoreError> {
        self.backoff.failures().await
    }

    /// Refuses while the back-off after wrong answers runs.
    pub async fn check_wait(&self) -> Result<(), ConfirmError> {
        match self.backoff.wait_secs().await? {
            0 => Ok(()),
            retry_in_secs => Err(ConfirmError::TooSoon { retry_in_secs }),
        }
    }

    /// Records a right (resets the count) or wrong answer.
    pub async fn record(&self, right: bool) -> Result<(), StoreError> {
        self.backoff.record(right).await
    }

    /// Forgets every code not yet answered (the app locked: the codes were
    /// secrets held in memory).
    pub fn forget_all(&self) {
        if let Ok(mut p) = self.pending.lock() {
            p.clear();
        }
    }

    /// Whether `code` answers challenge `id` for `target`. The challenge is
    /// used up either way.
    pub fn take_code(&self, target: &ConfirmTarget, id: &str, code: &SecretString) -> bool {
        let Some(p) = self.pending.lock().ok().and_then(|mut m| m.remove(id)) else {
            return false;
        };
        p.target == *target
            && p.expires_at > (self.clock)() / 1000
            && same(
                canonical(code.expose_secret()).as_bytes(),
                canonical(p.code.expose_secret()).as_bytes(),
            )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn forgotten_codes_no_longer_answer() {
        let d = tempfile::tempdir().unwrap();
        let c = Confirmer::new(Store::open_in(d.path()).await.unwrap());
        let target = ConfirmTarget::Words {
            wallet_id: "w".into(),
        };
        let ch = c.challenge(target.clone());
        c.forget_all();
        assert!(!c.take_code(&target, &ch.id, &ch.code));
    }

    #[test]
    fn backoff_doubles_from_one_second_to_a_cap() {
        let v: Vec<u64> = (0..6).map(backoff_secs).collect();
        assert_eq!(v, [0, 1, 2, 4, 8, 16]);
        assert_eq!(backoff_secs(11), 900);
        assert_eq!(backoff_secs(200), MAX_BACKOFF_SECS);
    }

    #[tokio::test]
    async fn a_code_works_once_for_its_target_only() {
        let dir = tempfile::tempdir().unwrap();
        let c = Confirmer::new(Store::open_in(dir.path()).await.unwrap());
        let words = ConfirmTarget::Words {
            wallet_id: "w_1".into(),
        };
        let other = ConfirmTarget::Words {
            wallet_id: "w_2".into(),
        };
        let ch = c.challenge(words.clone());
        let code = ch.code.expose_secret().to_string();
        assert_eq!(code.len(), CODE_LEN);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert!(!format!("{ch:?}").contains(&code));
        // Typed in lower case with a space: fine; but for another wallet, no.
        let typed = SecretString::from(format!("{} {}", &code[..3], &code[3..]).to_lowercase());
        assert!(!c.take_code(&other, &ch.id, &typed));
        // That use spent it.
        assert!(!c.take_code(&words, &ch.id, &typed));
        let ch = c.challenge(words.clone());
        let typed = SecretString::from(ch.code.expose_secret().to_lowercase());
        assert!(c.take_code(&words, &ch.id, &typed));
        assert!(!c.take_code(&words, &ch.id, &typed), "used once");
        // A newer code replaces an older one for the same target.
        let old = c.challenge(words.clone());
        let new = c.challenge(words.clone());
        assert!(!c.take_code(&words, &old.id, &old.code));
        assert!(c.take_code(&words, &new.id, &new.code));
    }

    static NOW: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1_700_000_000_000);
    fn fixed_now() -> u64 {
        NOW.load(std::sync::atomic::Ordering::SeqCst)
    }
    fn advance(ms: u64) {
        NOW.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }

    #[tokio::test]
    async fn wrong_answers_back_off_and_the_count_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let c = Confirmer::with_clock(Store::open_in(dir.path()).await.unwrap(), fixed_now);
        c.check_wait().await.unwrap();
        c.record(false).await.unwrap();
        c.record(false).await.unwrap();
        assert_eq!(c.failures().await.unwrap(), (2, fixed_now()));
        // Two wrong answers: two seconds to wait, also for a new process.
        let again = Confirmer::with_clock(Store::open_in(dir.path()).await.unwrap(), fixed_now);
        match again.check_wait().await {
            Err(ConfirmError::TooSoon { retry_in_secs }) => assert_eq!(retry_in_secs, 2),
            other => panic!("{other:?}"),
        }
        advance(1_001);
        assert!(matches!(
            again.check_wait().await,
            Err(ConfirmError::TooSoon { retry_in_secs: 1 })
        ));
        advance(998);
        assert!(matches!(
            again.check_wait().await,
            Err(ConfirmError::TooSoon { retry_in_secs: 1 })
        ));
        advance(1);
        again.check_wait().await.unwrap();
        again.record(true).await.unwrap();
        assert_eq!(c.failures().await.unwrap().0, 0);
        c.check_wait().await.unwrap();
    }
}
