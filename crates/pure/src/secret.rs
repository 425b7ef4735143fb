//! Secrets arriving from the faces (the UI over IPC, the CLI): deserialized
//! straight into a [`secrecy::SecretString`], never printed.

use serde::{Deserialize, Deserializer};
use ts_rs::TS;

/// A secret argument arriving over IPC (words, passphrase): deserialized
/// straight into a [`secrecy::SecretString`]; `Debug` prints nothing of it.
pub struct SecretInput(pub secrecy::SecretString);

impl<'de> Deserialize<'de> for SecretInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(SecretInput(secrecy::SecretString::from(
            String::deserialize(d)?,
        )))
    }
}

impl TS for SecretInput {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "string".into()
    }
    fn inline(_: &ts_rs::Config) -> String {
        "string".into()
    }
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretInput(<redacted>)")
    }
}

impl From<String> for SecretInput {
    fn from(s: String) -> Self {
        SecretInput(secrecy::SecretString::from(s))
    }
}

impl From<&str> for SecretInput {
    fn from(s: &str) -> Self {
        SecretInput(secrecy::SecretString::from(s.to_string()))
    }
}

impl From<SecretInput> for secrecy::SecretString {
    fn from(s: SecretInput) -> Self {
        s.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_secret_input_reads_json_and_prints_nothing() {
        let s: SecretInput = serde_json::from_str("\"correct horse\"").unwrap();
        assert_eq!(s.0.expose_secret(), "correct horse");
        assert_eq!(format!("{s:?}"), "SecretInput(<redacted>)");
    }
}
