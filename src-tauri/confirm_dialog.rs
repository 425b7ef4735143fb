//! Shows a confirmation code in a native dialog, outside the web view: a
//! script running in the page (an injected one included) can ask for a code
//! but cannot read it, so it cannot reveal a secret on its own. The user
//! reads the code here and types it into the window.
//!
//! The code is in the dialog's title too, so a test harness can read it from
//! the X server (no script in the page can); the dialog is not modal, so the
//! window stays usable while it is open.

use secrecy::ExposeSecret;
use switchyard_core::confirm::{Challenge, CODE_TTL_SECS};
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

/// Title prefix of the dialog (tests search windows by it).
pub const TITLE: &str = "Switchyard confirmation code";

/// Opens the dialog and returns at once.
pub fn show(app: &tauri::AppHandle, challenge: &Challenge, what: &str) {
    let code = challenge.code.expose_secret();
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let body = format!(
        "To {what}, type this code in Switchyard's window:\n\n        {spaced}\n\nIt works once, within {} minutes. If you did not ask to see a secret just now, do not type it: close this and Switchyard.",
        CODE_TTL_SECS / 60
    );
    app.dialog()
        .message(body)
        .title(format!("{TITLE}: {code}"))
        .kind(MessageDialogKind::Warning)
        .show(|_| {});
}
