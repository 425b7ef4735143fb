fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    // Our own commands are listed so each needs an explicit grant in
    // src-tauri/capabilities/ (no command is callable by default).
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(&[
                "app_status",
                "generate_mnemonic",
                "check_words",
                "create_wallet",
                "list_wallets",
                "wallet_detail",
                "wallet_addresses",
                "verify_address",
                "reveal_words",
                "delete_wallet",
                "first_paint",
                "node_status",
                "balances",
                "list_channels",
                "open_channel",
                "close_channel",
                "update_policy",
                "create_invoice",
                "preview_payment",
                "pay_invoice",
                "keysend",
                "payment_history",
                "new_address",
                "send_coins",
                "transactions",
                "export_backup",
            ])),
    )
    .unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}
