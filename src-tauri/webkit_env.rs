//! WebKitGTK settings chosen before the first webview exists, for memory.
//!
//! WebKitGTK reads these from the environment, so they are set at the top of
//! `main`, before any thread starts. Each one is only a default: a variable the
//! user already set is left as it is.
//!
//! 1. `WEBKIT_DISABLE_COMPOSITING_MODE=1`: accelerated compositing loads a GL
//!    stack into the web process (~80 MiB of its ~180 MiB at idle, measured with
//!    `scripts/bench-app.sh`). Our UI is static 2D; `=0` turns it back on.
//! 2. `WEBKIT_DISABLE_DMABUF_RENDERER=1`: the DMA-BUF renderer adds buffers in
//!    the app process (−6 MiB when off) and is the usual cause of blank windows
//!    on NVIDIA drivers; the shared-memory path draws our UI just as well.
//! 3. `WEBKIT_WEB_RENDER_DEVICE_FILE`: to tell the web process which DRM render
//!    node to use, WebKit's UI process (our process) initialises EGL and asks
//!    it, which loads Mesa's driver and, through it, libLLVM: ~21 MiB of PSS in
//!    our process (measured: 80.6 → 59.7 MiB), spent on one lookup. With
//!    compositing off the web process paints on the CPU, so we look the node up
//!    ourselves from sysfs: the render node of the boot VGA device (the GPU the
//!    firmware, and usually the display server, uses), else the first one,
//!    which is WebKit's own fallback. Without any render node (headless X,
//!    VMs, containers) WebKit would find none either; we then name `/dev/null`,
//!    which the web process cannot open as a GPU and treats like "no device"
//!    (its software EGL display, the same one it picks when none is found).
//!    Not done when the user turned compositing back on: then the GPU matters,
//!    and WebKit's own choice through EGL is the right one.
//! 4. `GDK_GL=disable`: when a display opens, GTK 3 probes GLX for the best
//!    visuals unless an earlier GTK 3 program on that X server cached them in
//!    the root window's `GDK_VISUALS` property; the probe loads Mesa and libLLVM
//!    too (+17 MiB on the first start after the X server starts, measured).
//!    Nothing in our window uses GTK's GL while compositing is off, so it is
//!    off under the same condition as 3.

use std::path::{Path, PathBuf};

/// Sets the WebKitGTK environment described in the module docs. Call first
/// thing in `main`: `set_var` is only sound while the process has one thread.
pub fn configure() {
    set_default("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    set_default("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    let compositing_off = std::env::var("WEBKIT_DISABLE_COMPOSITING_MODE").is_ok_and(|v| v != "0");
    if compositing_off && std::env::var_os("WEBKIT_WEB_RENDER_DEVICE_FILE").is_none() {
        let node = render_node(Path::new("/dev/dri"), Path::new("/sys/class/drm"))
            .unwrap_or_else(|| PathBuf::from("/dev/null"));
        std::env::set_var("WEBKIT_WEB_RENDER_DEVICE_FILE", node);
    }
    if compositing_off {
        set_default("GDK_GL", "disable");
    }
}

fn set_default(name: &str, value: &str) {
    if std::env::var_os(name).is_none() {
        std::env::set_var(name, value);
    }
}

/// The DRM render node for the web process: among `dev_dri/renderD*`, the one
/// whose device `sys_drm/<name>/device/boot_vga` reads `1`, else the first by
/// number; `None` when there is no render node.
pub fn render_node(dev_dri: &Path, sys_drm: &Path) -> Option<PathBuf> {
    let mut nodes: Vec<(u32, String)> = std::fs::read_dir(dev_dri)
        .ok()?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let number = name.strip_prefix("renderD")?.parse().ok()?;
            Some((number, name))
        })
        .collect();
    nodes.sort();
    let boot_vga = |name: &str| {
        std::fs::read_to_string(sys_drm.join(name).join("device/boot_vga"))
            .is_ok_and(|v| v.trim() == "1")
    };
    let (_, name) = nodes
        .iter()
        .find(|(_, name)| boot_vga(name))
        .or_else(|| nodes.first())?;
    Some(dev_dri.join(name))
}

#[cfg(test)]
mod tests {
    use super::render_node;
    use std::fs;
    use std::path::Path;

    /// A fake `/dev/dri` and `/sys/class/drm` with the given render nodes,
    /// `boot_vga` set to `1` for the one named in `boot`.
    fn fake(nodes: &[&str], boot: Option<&str>) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("temp dir");
        fs::create_dir_all(root.path().join("dev")).expect("dev");
        fs::write(root.path().join("dev/card0"), "").expect("card0");
        for node in nodes {
            fs::write(root.path().join("dev").join(node), "").expect("node");
            let device = root.path().join("sys").join(node).join("device");
            fs::create_dir_all(&device).expect("sys");
            let flag = if boot == Some(*node) { "1\n" } else { "0\n" };
            fs::write(device.join("boot_vga"), flag).expect("boot_vga");
        }
        root
    }

    fn pick(root: &Path) -> Option<String> {
        render_node(&root.join("dev"), &root.join("sys"))
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
    }

    #[test]
    fn the_boot_vga_render_node_wins() {
        let root = fake(&["renderD128", "renderD129"], Some("renderD129"));
        assert_eq!(pick(root.path()).as_deref(), Some("renderD129"));
    }

    #[test]
    fn without_boot_vga_the_lowest_number_is_taken() {
        // Numeric, not lexical, order: renderD99 sorts after renderD128 as text.
        let root = fake(&["renderD128", "renderD99"], None);
        assert_eq!(pick(root.path()).as_deref(), Some("renderD99"));
    }

    #[test]
    fn no_render_node_or_no_directory_gives_none() {
        let root = fake(&[], None);
        assert_eq!(pick(root.path()), None);
        assert_eq!(
            render_node(Path::new("/nonexistent/dri"), Path::new("/nonexistent")),
            None
        );
    }
}
