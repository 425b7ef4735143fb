//! The OS's "lock now" signals reach the app lock: logind's
//! `PrepareForSleep(true)` and a screensaver's `ActiveChanged(true)`
//! (freedesktop's and GNOME's), sent on a real D-Bus (the private session bus
//! `scripts/with-keyring.sh` starts, standing in for both buses); the
//! `false` ones (resume, screensaver off) do nothing.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use dbus::blocking::SyncConnection;
use dbus::channel::Sender;
use dbus::Message;
use std::sync::Mutex;
use std::time::Duration;
use switchyard_core::lock_os::{watch, Buses, OsLock};

#[test]
fn sleep_and_the_screen_lock_are_heard_and_their_ends_are_not() {
    let addr = std::env::var("DBUS_SESSION_BUS_ADDRESS")
        .expect("a session bus: run the tests through scripts/with-keyring.sh");
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = Mutex::new(tx);
    let watching = watch(
        Buses {
            system: Some(addr.clone()),
            session: Some(addr.clone()),
        },
        move |e| {
            let _ = tx.lock().unwrap().send(e);
        },
    );
    assert_eq!(watching, 2, "both buses subscribed before watch returns");

    let conn = SyncConnection::new_address(&addr).unwrap();
    let signal = |path: &str, iface: &str, member: &str, on: bool| {
        let m = Message::new_signal(path, iface, member)
            .unwrap()
            .append1(on);
        conn.send(m).unwrap();
    };
    let sleep = (
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
        "PrepareForSleep",
    );
    let saver = (
        "/org/freedesktop/ScreenSaver",
        "org.freedesktop.ScreenSaver",
        "ActiveChanged",
    );
    let gnome = (
        "/org/gnome/ScreenSaver",
        "org.gnome.ScreenSaver",
        "ActiveChanged",
    );
    // First the ends (resume, screensaver off): each watcher reads its
    // bus in order, so these are handled before the starts below.
    for (p, i, m) in [sleep, saver, gnome] {
        signal(p, i, m, false);
    }
    for (p, i, m) in [sleep, saver, gnome] {
        signal(p, i, m, true);
    }
    conn.channel().flush();
    let mut got: Vec<OsLock> = (0..3)
        .map(|_| rx.recv_timeout(Duration::from_secs(20)).expect("an event"))
        .collect();
    got.sort_by_key(|e| e.as_str());
    assert_eq!(
        got,
        vec![OsLock::ScreenSaver, OsLock::ScreenSaver, OsLock::Sleep]
    );
    assert!(rx.try_recv().is_err(), "the ends locked nothing");
}
