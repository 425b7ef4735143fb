//! The app lock: an app password, kept as an Argon2id verifier in SQLite
//! (never the password), that the desktop app asks for at start, after the
//! idle time and on demand, and again before the most sensitive actions.
//!
//! - **The verifier**: Argon2id (RFC 9106) in its PHC string form (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`),
//!   with a random 16-byte salt. Its cost is measured when the password is
//!   set: 64 MiB of memory and as many passes as take about half a second on
//!   this machine ([`Cost::DEFAULT`]), so a stolen database costs an
//!   attacker that much per guess.
//! - **Wrong passwords** back off exponentially (1 s, 2 s, 4 s, … up to 15
//!   minutes); the count is in SQLite, so a restart does not reset it; an
//!   attempt made too early is refused without being counted or hashed.
//! - **Idle**: the window reports the user's input ([`AppLock::touch`], at
//!   most every few seconds); [`AppLock::ensure_unlocked`] and
//!   [`AppLock::tick`] (the shell's timer) lock once the idle time has passed
//!   since. A window's own polling is not activity.
//! - **Locked** is a state of this process: every face-level command checks
//!   it; what the lock drops from memory is the shell's business (it
//!   subscribes with [`AppLock::subscribe`]).
//!
//! A password is the user's choice to set; the window asks for one on first
//! run unless every wallet is a regtest wallet.

use crate::confirm::{now_millis, Backoff};
use crate::store::{Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ts_rs::TS;

const VERIFIER_KEY: &str = "lock.verifier";
const IDLE_KEY: &str = "lock.idle_minutes";
const FAILURES_KEY: &str = "lock.failures";
const LAST_FAILURE_KEY: &str = "lock.last_failure_ms";

/// The shortest app password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The idle time before the app locks, unless set otherwise.
pub const DEFAULT_IDLE_MINUTES: u32 = 10;
/// The longest idle time that can be set (a day).
pub const MAX_IDLE_MINUTES: u32 = 24 * 60;

/// Why the lock said no.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The app is locked.
    #[error("Switchyard is locked. Enter the app password to continue.")]
    Locked,
    /// No app password is set.
    #[error("No app password is set yet. Choose one first (Settings → App lock).")]
    NoPassword,
    /// A wallet other than regtest, while no app password is set.
    #[error("Choose an app password first: only regtest wallets may be kept without one. Set it on the welcome screen (or under Audit → App lock; on the command line, `switchyard lock set-password`).")]
    PasswordFirst,
    /// A sensitive action was asked for without the app password.
    #[error("This needs the app password: type it again to confirm.")]
    PasswordNeeded,
    /// A wrong password (counted).
    #[error("That is not the app password.")]
    Wrong,
    /// Too soon after wrong passwords (not counted).
    #[error("Too many wrong passwords. Wait {retry_in_secs} s, then try again.")]
    TooSoon {
        /// Seconds until the next attempt is accepted.
        retry_in_secs: u64,
    },
    /// A new password that is too weak.
    #[error("The app password must have at least {MIN_PASSWORD_CHARS} characters.")]
    TooShort,
    /// An idle time out of range.
    #[error("The idle time must be between 1 and {MAX_IDLE_MINUTES} minutes.")]
    BadIdle,
    /// The stored verifier cannot be read.
    #[error("The stored app password verifier is damaged: {0}")]
    Damaged(String),
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How costly the verifier is to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// The time one verification should take; passes are added until it does.
    pub target: Duration,
    /// At most this many passes.
    pub max_passes: u32,
}

impl Cost {
    /// 64 MiB, ~0.5 s (RFC 9106's second recommended option uses 64 MiB).
    pub const DEFAULT: Cost = Cost {
        memory_kib: 64 * 1024,
        target: Duration::from_millis(500),
        max_passes: 16,
    };
}

/// What the lock looks like from outside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LockStatus {
    /// An app password is set.
    pub enabled: bool,
    /// Locked now.
    pub locked: bool,
    /// Seconds without input before it locks.
    pub idle_secs: u32,
    /// Seconds before the next password is accepted (after wrong ones).
    #[ts(type = "number")]
    pub retry_in_secs: u64,
    /// The verifier's cost: memory (KiB) and passes.
    pub memory_kib: u32,
    /// Passes.
    pub passes: u32,
}

struct State {
    /// A password is set (without one the app never locks).
    enabled: bool,
    locked: bool,
    last_activity: Instant,
    idle: Duration,
    /// Why it last locked ("on demand", "idle", "system sleep", …).
    why: &'static str,
}

/// The app lock of a data directory (cheap to clone; shared state).
#[derive(Clone)]
pub struct AppLock {
    store: Store,
    backoff: Backoff,
    cost: Cost,
    state: Arc<Mutex<State>>,
    changes: tokio::sync::broadcast::Sender<bool>,
}

fn argon(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with `cost`: the PHC string, with passes measured on
/// this machine.
fn make_verifier(password: &SecretString, cost: Cost) -> Result<String, LockError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let params = |t: u32| {
        Params::new(cost.memory_kib, t, 1, None).map_err(|e| LockError::Damaged(e.to_string()))
    };
    // One pass, timed; then as many as reach the target.
    let started = Instant::now();
    argon(params(1)?)
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map_err(|e| LockError::Damaged(e.to_string()))?;
    let one = started.elapsed().max(Duration::from_micros(1));
    let passes = (cost.target.as_secs_f64() / one.as_secs_f64()).ceil() as u32;
    let passes = passes.clamp(1, cost.max_passes);
    argon(params(passes)?)
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| LockError::Damaged(e.to_string()))
}

/// Whether `password` matches the PHC string `verifier` (its own cost).
fn matches(verifier: &str, password: &SecretString) -> Result<bool, LockError> {
    let parsed = PasswordHash::new(verifier).map_err(|e| LockError::Damaged(e.to_string()))?;
    Ok(Argon2::default()
        .verify_password(password.expose_secret().as_bytes(), &parsed)
        .is_ok())
}

/// Memory and passes of a verifier.
fn cost_of(verifier: &str) -> (u32, u32) {
    PasswordHash::new(verifier)
        .ok()
        .and_then(|h| Params::try_from(&h).ok())
        .map(|p| (p.m_cost(), p.t_cost()))
        .unwrap_or((0, 0))
}

impl AppLock {
    /// The lock of `store`'s data directory: locked at start when a password
    /// is set.
    pub async fn open(store: Store) -> Result<AppLock, LockError> {
        AppLock::open_with(store, Cost::DEFAULT, now_millis).await
    }

    /// The same with another cost and clock (tests).
    pub async fn open_with(
        store: Store,
        cost: Cost,
        clock: fn() -> u64,
    ) -> Result<AppLock, LockError> {
        let enabled = store.setting(VERIFIER_KEY).await?.is_some();
        let idle = store
            .setting(IDLE_KEY)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_IDLE_MINUTES);
        Ok(AppLock {
            backoff: Backoff::new(store.clone(), FAILURES_KEY, LAST_FAILURE_KEY, clock),
            store,
            cost,
            state: Arc::new(Mutex::new(State {
                enabled,
                locked: enabled,
                last_activity: Instant::now(),
                idle: Duration::from_secs(u64::from(idle) * 60),
                why: "start",
            })),
            changes: tokio::sync::broadcast::channel(8).0,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Told `true` each time the app locks, `false` when it unlocks.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<bool> {
        self.changes.subscribe()
    }

    fn set_locked(&self, locked: bool) {
        let changed = {
            let mut s = self.state();
            let changed = s.locked != locked;
            s.locked = locked;
            s.last_activity = Instant::now();
            changed
        };
        if changed {
            let _ = self.changes.send(locked);
        }
    }

    /// Whether the idle time has run out (then locks): the shell's timer.
    pub fn tick(&self) -> bool {
        let expired = {
            let s = self.state();
            s.enabled && !s.locked && s.idle > Duration::ZERO && s.last_activity.elapsed() >= s.idle
        };
        if expired {
            self.state().why = "idle";
            self.set_locked(true);
        }
        self.is_locked()
    }

    /// Locked now?
    pub fn is_locked(&self) -> bool {
        self.state().locked
    }

    /// Refuses while locked (locking first if the idle time ran out). Not
    /// activity: a window's own polling passes here too.
    pub fn ensure_unlocked(&self) -> Result<(), LockError> {
        if self.tick() {
            return Err(LockError::Locked);
        }
        Ok(())
    }

    /// The user did something (typed, clicked): the idle time starts again.
    /// Nothing while locked.
    pub fn touch(&self) {
        let mut s = self.state();
        if !s.locked {
            s.last_activity = Instant::now();
        }
    }

    /// Locks now (only when a password is set: there is nothing to unlock
    /// with otherwise).
    pub async fn lock(&self) -> Result<(), LockError> {
        if self.store.setting(VERIFIER_KEY).await?.is_none() {
            return Err(LockError::NoPassword);
        }
        self.state().why = "on demand";
        self.set_locked(true);
        Ok(())
    }

    /// Checks `password` against the verifier, with the back-off: the
    /// unlock, and the re-authentication before a sensitive action.
    pub async fn verify(&self, password: &SecretString) -> Result<(), LockError> {
        let verifier = self
            .store
            .setting(VERIFIER_KEY)
            .await?
            .ok_or(LockError::NoPassword)?;
        match self.backoff.wait_secs().await? {
            0 => {}
            retry_in_secs => return Err(LockError::TooSoon { retry_in_secs }),
        }
        let pw = password.clone();
        let right = tokio::task::spawn_blocking(move || matches(&verifier, &pw))
            .await
            .map_err(|e| LockError::Damaged(e.to_string()))??;
        self.backoff.record(right).await?;
        if right {
            Ok(())
        } else {
            Err(LockError::Wrong)
        }
    }

    /// Locks for `why` (the OS said the computer sleeps or the screen
    /// locked, see [`crate::lock_os`]) when a password is set and it is not
    /// locked yet; whether it locked now.
    pub fn lock_for(&self, why: &'static str) -> bool {
        {
            let mut s = self.state();
            if !s.enabled || s.locked {
                return false;
            }
            s.why = why;
        }
        self.set_locked(true);
        true
    }

    /// Why it last locked: "on demand", "idle", "start", or the OS's reason.
    pub fn why_locked(&self) -> &'static str {
        self.state().why
    }

    /// Whether an app password is set.
    pub fn enabled(&self) -> bool {
        self.state().enabled
    }

    /// The re-authentication before a sensitive action (revealing words or
    /// a node password, deleting a wallet, removing a profile, signing a
    /// PSBT): when an app password is set it must be `given` and right (the
    /// unlock's back-off applies); with none set there is nothing to ask.
    pub async fn reauth(&self, given: Option<&SecretString>) -> Result<(), LockError> {
        if !self.enabled() {
            return Ok(());
        }
        // Nothing typed is no attempt (not counted against the user).
        let given = given
            .filter(|p| !p.expose_secret().is_empty())
            .ok_or(LockError::PasswordNeeded)?;
        self.verify(given).await
    }

    /// Unlocks with the app password.
    pub async fn unlock(&self, password: &SecretString) -> Result<(), LockError> {
        self.verify(password).await?;
        self.set_locked(false);
        Ok(())
    }

    /// Sets (or changes: `current` must then be right) the app password.
    /// The app is unlocked afterwards.
    pub async fn set_password(
        &self,
        current: Option<&SecretString>,
        new: &SecretString,
    ) -> Result<(), LockError> {
        if new.expose_secret().chars().count() < MIN_PASSWORD_CHARS {
            return Err(LockError::TooShort);
        }
        if self.store.setting(VERIFIER_KEY).await?.is_some() {
            self.verify(current.ok_or(LockError::Wrong)?).await?;
        }
        let (pw, cost) = (new.clone(), self.cost);
        let verifier = tokio::task::spawn_blocking(move || make_verifier(&pw, cost))
            .await
            .map_err(|e| LockError::Damaged(e.to_string()))??;
        self.store.set_setting(VERIFIER_KEY, &verifier).await?;
        self.state().enabled = true;
        self.set_locked(false);
        Ok(())
    }

    /// Sets the idle time, after the password.
    pub async fn set_idle_minutes(
        &self,
        password: &SecretString,
        minutes: u32,
    ) -> Result<(), LockError> {
        if minutes == 0 || minutes > MAX_IDLE_MINUTES {
            return Err(LockError::BadIdle);
        }
        self.verify(password).await?;
        self.store
            .set_setting(IDLE_KEY, &minutes.to_string())
            .await?;
        self.state().idle = Duration::from_secs(u64::from(minutes) * 60);
        Ok(())
    }

    /// Sets the idle time for this process only, in any unit: the
    /// end-to-end tests' hook (`SWITCHYARD_LOCK_IDLE_SECS`, read by the
    /// desktop shell), not a setting.
    pub fn set_idle_for_tests(&self, idle: Duration) {
        self.state().idle = idle;
    }

    /// Where the lock stands.
    pub async fn status(&self) -> Result<LockStatus, LockError> {
        let verifier = self.store.setting(VERIFIER_KEY).await?;
        let (memory_kib, passes) = verifier.as_deref().map(cost_of).unwrap_or((0, 0));
        let locked = self.tick();
        let idle_secs = u32::try_from(self.state().idle.as_secs()).unwrap_or(u32::MAX);
        Ok(LockStatus {
            enabled: verifier.is_some(),
            locked,
            idle_secs,
            retry_in_secs: self.backoff.wait_secs().await?,
            memory_kib,
            passes,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Small and fast: these tests check behaviour, not cost.
    const CHEAP: Cost = Cost {
        memory_kib: 256,
        target: Duration::from_millis(1),
        max_passes: 2,
    };

    /// A clock the first test moves by hand (no test waits for real time).
    static NOW_MS: std::sync::atomic::AtomicU64 =
        std::sync::atomic::AtomicU64::new(1_800_000_000_000);
    fn fake_now() -> u64 {
        NOW_MS.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn lock() -> (AppLock, tempfile::TempDir) {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open_in(d.path()).await.unwrap();
        (AppLock::open_with(store, CHEAP, fake_now).await.unwrap(), d)
    }

    fn pw(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[tokio::test]
    async fn the_os_locks_it_only_when_a_password_is_set_and_says_why() {
        let (l, _d) = lock().await;
        assert!(!l.lock_for("system sleep"), "no password: nothing to lock");
        assert!(!l.is_locked());
        l.set_password(None, &pw("correct horse")).await.unwrap();
        let mut told = l.subscribe();
        assert!(l.lock_for("system sleep"));
        assert!(l.is_locked());
        assert_eq!(l.why_locked(), "system sleep");
        assert!(told.try_recv().unwrap(), "told: locked");
        assert!(!l.lock_for("screen locked"), "already locked");
        assert_eq!(l.why_locked(), "system sleep");
        l.unlock(&pw("correct horse")).await.unwrap();
        l.lock().await.unwrap();
        assert_eq!(l.why_locked(), "on demand");
    }

    #[tokio::test]
    async fn a_password_locks_unlocks_and_is_kept_as_argon2id_only() {
        let (l, d) = lock().await;
        assert!(!l.status().await.unwrap().enabled);
        assert!(matches!(l.lock().await, Err(LockError::NoPassword)));
        assert!(matches!(
            l.set_password(None, &pw("short")).await,
            Err(LockError::TooShort)
        ));
        l.set_password(None, &pw("correct horse")).await.unwrap();
        let v = l.store.setting(VERIFIER_KEY).await.unwrap().unwrap();
        assert!(v.starts_with("$argon2id$v=19$m=256,"), "{v}");
        assert!(!v.contains("correct horse"));
        l.lock().await.unwrap();
        assert!(matches!(l.ensure_unlocked(), Err(LockError::Locked)));
        assert!(matches!(
            l.unlock(&pw("wrong horse")).await,
            Err(LockError::Wrong)
        ));
        // The back-off: the next attempt too early is refused unhashed.
        assert!(matches!(
            l.unlock(&pw("correct horse")).await,
            Err(LockError::TooSoon { .. })
        ));
        // A restart keeps it locked and remembers the wrong answer.
        let again = AppLock::open_with(Store::open_in(d.path()).await.unwrap(), CHEAP, fake_now)
            .await
            .unwrap();
        assert!(again.is_locked());
        assert_eq!(again.backoff.failures().await.unwrap().0, 1);
        // Changing the password needs the current one.
        NOW_MS.fetch_add(1_000, std::sync::atomic::Ordering::SeqCst);
        again.unlock(&pw("correct horse")).await.unwrap();
        assert!(again.ensure_unlocked().is_ok());
        assert!(matches!(
            again.set_password(None, &pw("battery staple")).await,
            Err(LockError::Wrong)
        ));
        again
            .set_password(Some(&pw("correct horse")), &pw("battery staple"))
            .await
            .unwrap();
        again.lock().await.unwrap();
        again.unlock(&pw("battery staple")).await.unwrap();
    }

    #[tokio::test]
    async fn idle_time_locks_and_every_change_is_told() {
        let (l, _d) = lock().await;
        // Without a password the app never locks, however idle.
        l.set_idle_for_tests(Duration::from_millis(1));
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(!l.tick());
        l.set_idle_for_tests(Duration::from_secs(600));
        l.set_password(None, &pw("correct horse")).await.unwrap();
        let mut told = l.subscribe();
        // Active now (the default idle time is minutes), then a 50 ms idle
        // time and 80 ms of nothing: locked, however slow the machine.
        l.touch();
        assert!(l.ensure_unlocked().is_ok());
        l.set_idle_for_tests(Duration::from_millis(50));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(l.tick(), "idle past the limit");
        assert!(told.recv().await.unwrap());
        assert!(matches!(l.ensure_unlocked(), Err(LockError::Locked)));
        l.unlock(&pw("correct horse")).await.unwrap();
        assert!(!told.recv().await.unwrap());
        assert!(matches!(
            l.set_idle_minutes(&pw("correct horse"), 0).await,
            Err(LockError::BadIdle)
        ));
        l.set_idle_minutes(&pw("correct horse"), 5).await.unwrap();
        assert_eq!(l.status().await.unwrap().idle_secs, 300);
    }

    #[test]
    fn the_measured_cost_reaches_the_target() {
        // 8 MiB, 20 ms: passes are added until one verification takes that.
        let cost = Cost {
            memory_kib: 8 * 1024,
            target: Duration::from_millis(20),
            max_passes: 64,
        };
        let v = make_verifier(&pw("correct horse"), cost).unwrap();
        let (m, t) = cost_of(&v);
        assert_eq!(m, 8 * 1024);
        assert!(t >= 1);
        assert!(matches(&v, &pw("correct horse")).unwrap());
        assert!(!matches(&v, &pw("correct horsE")).unwrap());
        // How long it takes is the benchmark's to show (`bench`), not a test's.
    }
}
