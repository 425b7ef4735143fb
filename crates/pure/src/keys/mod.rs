//! Keys: BIP39 mnemonics, BIP32 paths, BIP44/49/84/86 accounts and addresses.
//!
//! Pure functions over `bip39`, `bitcoin` and `miniscript`; no I/O, no storage.
//! Secrets (words, passphrase, seed, private keys) only ever live in
//! `SecretString` / `Zeroizing` containers and are dropped as soon as the
//! public material (fingerprint, account xpubs) has been derived.

pub mod account;
pub mod derive;
pub mod mnemonic;
pub mod path;
pub mod watch;
pub mod xkey;

pub use account::{master_key, parse_address, AccountKey, AddressError, Chain, Purpose};
pub use derive::{derive_at_path, DeriveError, DeriveOptions, DerivedKey};
pub use mnemonic::{
    check_words, generate_mnemonic, normalize_passphrase, parse_mnemonic, passphrase_is_normalized,
    phrase_of, seed_from, seed_from_unnormalized, MnemonicError, WordCheck, WordCount, WordStatus,
};
pub use path::{check_standard, format_path, parse_path, PathError};
pub use watch::{parse_watch, WatchAccount, WatchError};
pub use xkey::{parse_xpriv, parse_xpub, ImportedXpub, XkeyError};
