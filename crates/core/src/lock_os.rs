//! What the operating system says that should lock the app: the computer
//! going to sleep and the screen locking. On Linux, over D-Bus:
//!
//! - logind on the system bus: `org.freedesktop.login1.Manager`'s
//!   `PrepareForSleep(true)` (suspend or hibernate is about to happen), and
//!   `org.freedesktop.login1.Session`'s `Lock` on this process's own session
//!   (found with `GetSessionByPID`; `loginctl lock-session`, and the desktops
//!   that lock through logind);
//! - the screensaver on the session bus: `ActiveChanged(true)` of
//!   `org.freedesktop.ScreenSaver` (KDE, Xfce, others) or
//!   `org.gnome.ScreenSaver` (GNOME).
//!
//! A bus that is not there (a container, a headless machine) is skipped and
//! said once in the log: the idle time and Lock still work. A spoofed signal
//! can only lock the app, which is safe. Elsewhere than Linux: nothing yet.

/// Why the OS wants the app locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsLock {
    /// The computer is about to sleep.
    Sleep,
    /// The user's session was locked (logind).
    SessionLocked,
    /// The screensaver (screen lock) came on.
    ScreenSaver,
}

impl OsLock {
    /// In the audit log's and the log's words.
    pub fn as_str(self) -> &'static str {
        match self {
            OsLock::Sleep => "system sleep",
            OsLock::SessionLocked => "session locked",
            OsLock::ScreenSaver => "screen locked",
        }
    }
}

/// Which buses to watch: their addresses, or the standard ones.
#[derive(Debug, Clone, Default)]
pub struct Buses {
    /// The system bus (logind); `None`: the standard one.
    pub system: Option<String>,
    /// The session bus (the screensaver); `None`: the standard one.
    pub session: Option<String>,
}

/// Starts watching (threads of their own, for the process's life); `on` is
/// called on each event. Returns once every bus that is there is
/// subscribed, with how many were.
#[cfg(target_os = "linux")]
pub fn watch(buses: Buses, on: impl Fn(OsLock) + Send + Sync + 'static) -> usize {
    use std::sync::Arc;
    let on: Arc<dyn Fn(OsLock) + Send + Sync> = Arc::new(on);
    let mut watching = 0;
    match linux::system(buses.system.as_deref(), on.clone()) {
        Ok(()) => watching += 1,
        Err(e) => tracing::info!(error = %e, "no system bus: sleep will not lock the app"),
    }
    match linux::session(buses.session.as_deref(), on) {
        Ok(()) => watching += 1,
        Err(e) => {
            tracing::info!(error = %e, "no session bus: the screen lock will not lock the app")
        }
    }
    watching
}

/// Nothing to watch on this system yet.
#[cfg(not(target_os = "linux"))]
pub fn watch(_buses: Buses, _on: impl Fn(OsLock) + Send + Sync + 'static) -> usize {
    0
}

#[cfg(target_os = "linux")]
mod linux {
    use super::OsLock;
    use dbus::blocking::SyncConnection;
    use dbus::message::MatchRule;
    use std::sync::Arc;
    use std::time::Duration;

    type On = Arc<dyn Fn(OsLock) + Send + Sync>;

    const LOGIN1: &str = "org.freedesktop.login1";
    const LOGIN1_PATH: &str = "/org/freedesktop/login1";

    fn connect(address: Option<&str>, system: bool) -> Result<SyncConnection, dbus::Error> {
        match (address, system) {
            (Some(a), _) => SyncConnection::new_address(a),
            (None, true) => SyncConnection::new_system(),
            (None, false) => SyncConnection::new_session(),
        }
    }

    /// Serves the connection's matches for the rest of the process.
    fn serve(conn: SyncConnection, what: &'static str) {
        std::thread::Builder::new()
            .name(format!("os-lock-{what}"))
            .spawn(move || loop {
                if let Err(e) = conn.process(Duration::from_secs(3600)) {
                    tracing::warn!(error = %e, bus = what, "stopped watching the bus");
                    return;
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| tracing::warn!(error = %e, "could not start a watcher thread"));
    }

    /// A bool signal's rule: `on(event)` when its argument is true.
    fn when_true(
        conn: &SyncConnection,
        rule: MatchRule<'static>,
        on: &On,
        event: OsLock,
    ) -> Result<(), dbus::Error> {
        let on = on.clone();
        conn.add_match(rule, move |(active,): (bool,), _, _| {
            if active {
                on(event);
            }
            true
        })
        .map(|_| ())
    }

    pub fn system(address: Option<&str>, on: On) -> Result<(), dbus::Error> {
        let conn = connect(address, true)?;
        when_true(
            &conn,
            MatchRule::new_signal(format!("{LOGIN1}.Manager"), "PrepareForSleep")
                .with_path(LOGIN1_PATH),
            &on,
            OsLock::Sleep,
        )?;
        // This process's session, if logind knows it (not in a container).
        let session: Result<(dbus::Path<'static>,), dbus::Error> = conn
            .with_proxy(LOGIN1, LOGIN1_PATH, Duration::from_secs(2))
            .method_call(
                format!("{LOGIN1}.Manager"),
                "GetSessionByPID",
                (std::process::id(),),
            );
        match session {
            Ok((path,)) => {
                let on = on.clone();
                conn.add_match(
                    MatchRule::new_signal(format!("{LOGIN1}.Session"), "Lock").with_path(path),
                    move |(): (), _, _| {
                        on(OsLock::SessionLocked);
                        true
                    },
                )?;
            }
            Err(e) => tracing::info!(error = %e, "no logind session: its lock is not watched"),
        }
        serve(conn, "system");
        Ok(())
    }

    pub fn session(address: Option<&str>, on: On) -> Result<(), dbus::Error> {
        let conn = connect(address, false)?;
        for iface in ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"] {
            when_true(
                &conn,
                MatchRule::new_signal(iface, "ActiveChanged"),
                &on,
                OsLock::ScreenSaver,
            )?;
        }
        serve(conn, "session");
        Ok(())
    }
}
