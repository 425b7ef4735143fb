//! `lndconnect://host:port?cert=…&macaroon=…` URIs, as LND node packages
//! (Umbrel, Start9, Voltage, lndconnect) print them and users paste them.
//!
//! `cert` is the node's TLS certificate as base64url DER (optional: nodes with
//! a CA-signed certificate leave it out); `macaroon` is base64url of the
//! macaroon bytes, or hex, which some tools emit. Padding and the standard
//! base64 alphabet are accepted too, since copy-paste mangles both.

use bitcoin::base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use bitcoin::base64::engine::DecodePaddingMode;
use bitcoin::base64::{alphabet, Engine};
use zeroize::Zeroizing;

/// A parsed lndconnect URI.
pub struct LndConnect {
    /// Host name or IP address.
    pub host: String,
    /// gRPC port (10009 when the URI gives none).
    pub port: u16,
    /// The TLS certificate, DER, if the URI carries one.
    pub cert_der: Option<Vec<u8>>,
    /// The macaroon bytes.
    pub macaroon: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for LndConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LndConnect")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("cert_der_len", &self.cert_der.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

/// Why an lndconnect URI was refused. Never quotes the macaroon.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LndConnectError {
    /// Not an lndconnect URI at all.
    #[error("This is not an lndconnect link: it should start with lndconnect://")]
    Scheme,
    /// No host.
    #[error("The lndconnect link has no host: expected lndconnect://HOST:PORT?macaroon=…")]
    MissingHost,
    /// The port is not a number from 1 to 65535.
    #[error("The port in the lndconnect link, '{port}', is not a number from 1 to 65535.")]
    BadPort {
        /// What was there.
        port: String,
    },
    /// No macaroon parameter.
    #[error("The lndconnect link has no macaroon, so Switchyard cannot log in to the node. Export the link again with its macaroon.")]
    MissingMacaroon,
    /// The macaroon is neither base64url nor hex, or is not a macaroon.
    #[error("The macaroon in the lndconnect link is damaged (it is neither base64 nor hex, or not a macaroon). Copy the whole link again.")]
    BadMacaroon,
    /// The certificate is not base64url DER.
    #[error("The TLS certificate in the lndconnect link is damaged. Copy the whole link again.")]
    BadCert,
    /// A parameter we do not know, or a repeated one.
    #[error("The lndconnect link has an unexpected part '{name}'.")]
    UnknownParameter {
        /// The parameter name.
        name: String,
    },
}

fn lenient(alpha: &alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alpha,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}

/// Decodes base64 in either alphabet, with or without padding.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    lenient(&alphabet::URL_SAFE)
        .decode(s)
        .or_else(|_| lenient(&alphabet::STANDARD).decode(s))
        .ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// A binary macaroon starts with version byte 2 (V2 format); V1 macaroons
/// are base64 text starting with "MDAx" ("001" length prefix).
fn looks_like_macaroon(bytes: &[u8]) -> bool {
    bytes.len() >= 16 && (bytes[0] == 0x02 || bytes.starts_with(b"MDAx"))
}

/// Percent-decoding for the few characters that appear in practice.
fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Parses an lndconnect URI.
pub fn parse_lndconnect(uri: &str) -> Result<LndConnect, LndConnectError> {
    let uri = uri.trim();
    let rest = uri
        .get(..13)
        .filter(|p| p.eq_ignore_ascii_case("lndconnect://"))
        .map(|_| &uri[13..])
        .ok_or(LndConnectError::Scheme)?;
    let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority.trim_end_matches('/');
    if authority.is_empty() {
        return Err(LndConnectError::MissingHost);
    }
    // [v6::addr]:port, host:port, or host.
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or(LndConnectError::MissingHost)?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return Err(LndConnectError::MissingHost);
    }
    let port =
        match port {
            None => 10009,
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                LndConnectError::BadPort {
                    port: p.chars().take(12).collect(),
                }
            })?,
        };
    let mut cert_der = None;
    let mut macaroon = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "cert" if cert_der.is_none() => {
                let value = percent_decode(value).ok_or(LndConnectError::BadCert)?;
                let der = decode_base64(&value).filter(|d| d.len() > 32 && d[0] == 0x30);
                cert_der = Some(der.ok_or(LndConnectError::BadCert)?);
            }
            "macaroon" if macaroon.is_none() => {
                let value =
                    Zeroizing::new(percent_decode(value).ok_or(LndConnectError::BadMacaroon)?);
                let bytes = decode_hex(&value)
                    .filter(|b| looks_like_macaroon(b))
                    .or_else(|| decode_base64(&value).filter(|b| looks_like_macaroon(b)))
                    .ok_or(LndConnectError::BadMacaroon)?;
                macaroon = Some(Zeroizing::new(bytes));
            }
            other => {
                return Err(LndConnectError::UnknownParameter {
                    name: other.chars().take(24).collect(),
                })
            }
        }
    }
    Ok(LndConnect {
        host,
        port,
        cert_der,
        macaroon: macaroon.ok_or(LndConnectError::MissingMacaroon)?,
    })
}

/// DER from a PEM certificate (the first CERTIFICATE block).
pub fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(b) = rest.find(BEGIN) {
        let start = b + BEGIN.len();
        let end = rest[start..].find(END)? + start;
        let body: String = rest[start..end].split_whitespace().collect();
        let der = decode_base64(&body).filter(|d| d.len() > 32 && d[0] == 0x30)?;
        // Each must be one whole DER value (bundles are split on that).
        if split_der(&der).len() != 1 {
            return None;
        }
        out.extend(der);
        rest = &rest[end + END.len()..];
    }
    (!out.is_empty()).then_some(out)
}

/// The certificates of [`pem_to_der`]'s answer: DER values one after
/// another (a bundle holds one per instance of a cluster). A trailing
/// fragment that is not a whole value is dropped.
pub fn split_der(mut der: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while der.len() >= 2 && der[0] == 0x30 {
        let (len, header): (usize, usize) = match der[1] {
            n if n < 0x80 => (usize::from(n), 2),
            0x81 if der.len() >= 3 => (usize::from(der[2]), 3),
            0x82 if der.len() >= 4 => (usize::from(der[2]) << 8 | usize::from(der[3]), 4),
            0x83 if der.len() >= 5 => (
                usize::from(der[2]) << 16 | usize::from(der[3]) << 8 | usize::from(der[4]),
                5,
            ),
            _ => break,
        };
        let Some(total) = header.checked_add(len).filter(|t| *t <= der.len()) else {
            break;
        };
        out.push(&der[..total]);
        der = &der[total..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // A V2 macaroon's first bytes, then filler: enough for the shape checks.
    fn mac() -> Vec<u8> {
        let mut m = vec![0x02, 0x01, 0x03, b'l', b'n', b'd'];
        m.extend(std::iter::repeat_n(7u8, 40));
        m
    }

    fn cert() -> Vec<u8> {
        let mut c = vec![0x30, 0x82, 0x02, 0x2b];
        c.extend(std::iter::repeat_n(1u8, 60));
        c
    }

    fn b64url(b: &[u8]) -> String {
        bitcoin::base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }

    #[test]
    fn parses_the_usual_forms() {
        let uri = format!(
            "lndconnect://node.example:10009?cert={}&macaroon={}",
            b64url(&cert()),
            b64url(&mac())
        );
        let c = parse_lndconnect(&uri).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("node.example", 10009));
        assert_eq!(c.cert_der.as_deref(), Some(&cert()[..]));
        assert_eq!(&c.macaroon[..], &mac()[..]);
        // Hex macaroon, no cert, default port, upper-case scheme.
        let hex: String = mac().iter().map(|b| format!("{b:02x}")).collect();
        let c = parse_lndconnect(&format!("LNDCONNECT://10.0.0.2?macaroon={hex}")).unwrap();
        assert_eq!((c.port, c.cert_der.is_none()), (10009, true));
        assert_eq!(&c.macaroon[..], &mac()[..]);
        // IPv6 and padded standard base64.
        let std64 = bitcoin::base64::engine::general_purpose::STANDARD.encode(mac());
        let c = parse_lndconnect(&format!(
            "lndconnect://[::1]:8443?macaroon={}",
            std64.replace('=', "%3D")
        ))
        .unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 8443));
    }

    #[test]
    fn a_bundle_of_certificates_is_read_whole() {
        let b64 = |d: &[u8]| bitcoin::base64::engine::general_purpose::STANDARD.encode(d);
        let pem = |d: &[u8]| {
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                b64(d)
            )
        };
        // DER SEQUENCEs with a long-form (2-byte) and a 1-byte length.
        let mut one = vec![0x30, 0x82, 0x01, 0x10];
        one.extend(std::iter::repeat_n(1u8, 0x110));
        let mut other = vec![0x30, 0x81, 0x50];
        other.extend(std::iter::repeat_n(2u8, 0x50));
        let both = pem_to_der(&(pem(&one) + &pem(&other))).unwrap();
        assert_eq!(split_der(&both), vec![&one[..], &other[..]]);
        assert_eq!(pem_to_der(&pem(&one)).unwrap(), one);
        // A certificate cut short is refused, not half-pinned.
        assert_eq!(pem_to_der(&pem(&one[..200])), None);
        assert_eq!(pem_to_der("no certificate here"), None);
    }

    #[test]
    fn each_mistake_has_its_own_error() {
        let m = b64url(&mac());
        assert_eq!(
            parse_lndconnect("https://x:1?macaroon=a").unwrap_err(),
            LndConnectError::Scheme
        );
        assert_eq!(
            parse_lndconnect(&format!("lndconnect://?macaroon={m}")).unwrap_err(),
            LndConnectError::MissingHost
        );
        assert!(matches!(
            parse_lndconnect(&format!("lndconnect://h:99999?macaroon={m}")),
            Err(LndConnectError::BadPort { .. })
        ));
        assert!(matches!(
            parse_lndconnect(&format!("lndconnect://h:0?macaroon={m}")),
            Err(LndConnectError::BadPort { .. })
        ));
        assert_eq!(
            parse_lndconnect("lndconnect://h:1").unwrap_err(),
            LndConnectError::MissingMacaroon
        );
        assert_eq!(
            parse_lndconnect("lndconnect://h:1?macaroon=!!!").unwrap_err(),
            LndConnectError::BadMacaroon
        );
        assert_eq!(
            parse_lndconnect("lndconnect://h:1?macaroon=aGVsbG8").unwrap_err(),
            LndConnectError::BadMacaroon
        );
        assert_eq!(
            parse_lndconnect(&format!("lndconnect://h:1?cert=zzz&macaroon={m}")).unwrap_err(),
            LndConnectError::BadCert
        );
        assert!(matches!(
            parse_lndconnect(&format!("lndconnect://h:1?macaroon={m}&x=1")),
            Err(LndConnectError::UnknownParameter { .. })
        ));
    }

    #[test]
    fn debug_and_errors_never_show_the_macaroon() {
        let m = b64url(&mac());
        let c = parse_lndconnect(&format!("lndconnect://h:1?macaroon={m}")).unwrap();
        assert!(!format!("{c:?}").contains(&m[..10]));
        let e = parse_lndconnect(&format!("lndconnect://h:1?macaroon={m}!")).unwrap_err();
        assert!(!e.to_string().contains(&m[..10]));
    }
}
