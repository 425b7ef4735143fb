fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/commands.txt");
    // Our own commands, from the one list (src-tauri/commands.txt), so that
    // each needs an explicit grant in src-tauri/capabilities/ (no command is
    // callable by default).
    let list = std::fs::read_to_string("src-tauri/commands.txt")
        .unwrap_or_else(|e| panic!("src-tauri/commands.txt: {e}"));
    let names: Vec<&'static str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| &*Box::leak(l.to_string().into_boxed_str()))
        .collect();
    let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(names)),
    )
    .unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}
