//! Shows a confirmation code in a native dialog, outside the web view: a
//! script running in the page (an injected one included) can ask for a code
//! but cannot read it, so it cannot reveal a secret on its own. The user
//! reads the code here and types it into the window.
//!
//! The dialog is not modal (the window stays usable while it is open) and
//! carries the code in its title too, so a test harness can read it from the
//! X server, which no script in the page can. On Linux it is a GTK message
//! dialog made on the main thread; elsewhere, tauri-plugin-dialog's.

use secrecy::ExposeSecret;
use switchyard_core::confirm::{Challenge, CODE_TTL_SECS};

/// Title prefix of the dialog (tests search windows by it).
pub const TITLE: &str = "Switchyard confirmation code";

fn texts(challenge: &Challenge, what: &str) -> (String, String) {
    let code = challenge.code.expose_secret();
    let (a, b) = code.split_at(code.len() / 2);
    let body = format!(
        "To {what}, type this code in Switchyard's window:\n\n{a} {b}\n\nIt works once, within {} minutes. If you did not ask to see a secret just now, do not type it: close this and Switchyard.",
        CODE_TTL_SECS / 60
    );
    (format!("{TITLE}: {code}"), body)
}

/// Opens the dialog and returns at once; an error if it cannot be shown.
#[cfg(target_os = "linux")]
pub fn show(app: &tauri::AppHandle, challenge: &Challenge, what: &str) -> tauri::Result<()> {
    let (title, body) = texts(challenge, what);
    app.run_on_main_thread(move || {
        use gtk::prelude::*;
        let dialog = gtk::MessageDialog::new(
            None::<&gtk::Window>,
            gtk::DialogFlags::DESTROY_WITH_PARENT,
            gtk::MessageType::Warning,
            gtk::ButtonsType::Close,
            &body,
        );
        dialog.set_title(&title);
        dialog.set_modal(false);
        dialog.set_keep_above(true);
        dialog.connect_response(|d, _| d.close());
        dialog.show_all();
    })
}

/// Opens the dialog and returns at once.
#[cfg(not(target_os = "linux"))]
pub fn show(app: &tauri::AppHandle, challenge: &Challenge, what: &str) -> tauri::Result<()> {
    use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
    let (title, body) = texts(challenge, what);
    app.dialog()
        .message(body)
        .title(title)
        .kind(MessageDialogKind::Warning)
        .show(|_| {});
    Ok(())
}
