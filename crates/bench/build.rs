//! Records the optimisation level this crate (and, in the `bench` and
//! `release` profiles, LDK with it) was built at, so the table can say so.
fn main() {
    let level = std::env::var("OPT_LEVEL").unwrap_or_else(|_| "?".into());
    println!("cargo:rustc-env=SWITCHYARD_BENCH_OPT_LEVEL={level}");
    println!("cargo:rerun-if-changed=build.rs");
}
