//! The camera in the web view, for scanning a signer's QR codes on the PSBT
//! screen.
//!
//! WebKitGTK keeps `getUserMedia` off unless its settings turn the media
//! stream on; each use still asks for permission, which is granted for the
//! camera alone (never the microphone or the screen). The page opens the
//! camera only when the user presses "Scan with camera", and stops it when
//! the codes are read, on Stop, or when the screen changes.
//! `SWITCHYARD_MOCK_CAMERA=1` (the end-to-end tests) gives WebKit's mock
//! capture device instead of a real one.

use tauri::webview::{PermissionKind, PermissionResponse};

/// The answer to a web view permission request: the camera yes, the rest
/// as the platform decides (denied).
pub fn permission(kind: PermissionKind) -> PermissionResponse {
    match kind {
        PermissionKind::Camera => PermissionResponse::Allow,
        _ => PermissionResponse::Default,
    }
}

/// Turns the media stream on in `window`'s web view.
pub fn enable<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) {
    let mock = std::env::var("SWITCHYARD_MOCK_CAMERA").is_ok_and(|v| v == "1");
    let done = window.with_webview(move |_webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{SettingsExt, WebViewExt};
            if let Some(settings) = WebViewExt::settings(&_webview.inner()) {
                settings.set_enable_media_stream(true);
                if mock {
                    settings.set_enable_mock_capture_devices(true);
                }
            }
        }
        let _ = mock;
    });
    if let Err(e) = done {
        tracing::warn!(error = %e, "the camera could not be enabled in the web view");
    }
}
