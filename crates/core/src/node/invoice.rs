//! BOLT 11 invoices as the user pastes them: decoded with `lightning-invoice`,
//! checked against the wallet's network and the clock before anything is
//! paid, and shown field by field.

use super::convert::now_secs;
use crate::amount::Msat;
use crate::network::Network;
use lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescriptionRef, Currency};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use ts_rs::TS;

/// The largest final CLTV delta an invoice may ask for: the router's limit on
/// a whole route's time lock ([`crate::graph::router::RouterConfig`]'s
/// `max_total_cltv`, LND's too), so a decoded delta always fits the route
/// arithmetic.
pub const MAX_FINAL_CLTV: u32 = 2016;

/// Why an invoice cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// Nothing pasted.
    #[error("Paste a Lightning invoice (it starts with lnbc, lntb, lntbs or lnbcrt).")]
    Empty,
    /// Not bech32 / not an invoice.
    #[error("This is not a valid Lightning invoice ({reason}). Copy it again, whole, from the recipient.")]
    Malformed {
        /// What the decoder found wrong.
        reason: String,
    },
    /// For another network.
    #[error("This invoice is for {invoice}, but the node is on {node}.")]
    WrongNetwork {
        /// The invoice's network.
        invoice: &'static str,
        /// The node's network.
        node: &'static str,
    },
    /// Past its expiry.
    #[error("This invoice expired {ago}. Ask the recipient for a new one.")]
    Expired {
        /// "3 minutes ago".
        ago: String,
    },
    /// No amount in the invoice and none given.
    #[error("This invoice has no amount; enter how much to pay.")]
    AmountMissing,
    /// The final time lock is more than any route may lock funds for.
    #[error("This invoice asks for a final time lock of {delta} blocks; Switchyard pays only invoices asking for at most {max} (about two weeks). Ask the recipient for a standard invoice.")]
    FinalCltvTooLarge {
        /// What the invoice asks for.
        delta: u64,
        /// The most we accept.
        max: u32,
    },
    /// More than all the bitcoin there is.
    #[error("{msat} msat is more bitcoin than will ever exist. Check the amount.")]
    AmountTooLarge {
        /// What was given.
        msat: u64,
    },
    /// An amount given for an invoice that fixes it.
    #[error("This invoice asks for exactly {invoice_msat} msat; the amount cannot be changed.")]
    AmountFixed {
        /// The invoice's amount.
        invoice_msat: u64,
    },
}

/// An invoice, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DecodedInvoice {
    /// The invoice as given (trimmed, without `lightning:`).
    pub payment_request: String,
    /// Network it is for.
    pub network: Network,
    /// Amount asked, msat (none: the payer chooses).
    pub amount_msat: Option<Msat>,
    /// Payment hash (hex).
    pub payment_hash: String,
    /// Recipient's node key (hex).
    pub payee: String,
    /// Description, if given directly.
    pub description: Option<String>,
    /// Hash of the description, if given that way (hex).
    pub description_hash: Option<String>,
    /// Unix seconds when created.
    #[ts(type = "number")]
    pub created_at: u64,
    /// Unix seconds when it expires.
    #[ts(type = "number")]
    pub expires_at: u64,
    /// Already expired.
    pub expired: bool,
    /// Final hop's CLTV delta (at most [`MAX_FINAL_CLTV`]).
    pub min_final_cltv_expiry_delta: u32,
    /// Private route hints it carries.
    pub route_hints: u32,
}

fn network_of(c: &Currency) -> Option<Network> {
    match c {
        Currency::Bitcoin => Some(Network::Bitcoin),
        Currency::BitcoinTestnet => Some(Network::Testnet),
        Currency::Signet => Some(Network::Signet),
        Currency::Regtest => Some(Network::Regtest),
        Currency::Simnet => None,
    }
}

fn ago(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} seconds ago"),
        120..=7199 => format!("{} minutes ago", secs / 60),
        7200..=172_799 => format!("{} hours ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// Decodes `text` (tolerates whitespace, upper case and a `lightning:` prefix)
/// and checks it is for `network`. Expiry is reported, not refused: use
/// [`DecodedInvoice::payable`] before paying.
pub fn decode_invoice(text: &str, network: Network) -> Result<DecodedInvoice, InvoiceError> {
    let mut s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return Err(InvoiceError::Empty);
    }
    s.make_ascii_lowercase();
    if let Some(rest) = s.strip_prefix("lightning:") {
        s = rest.to_string();
    }
    let inv = Bolt11Invoice::from_str(&s).map_err(|e| InvoiceError::Malformed {
        reason: e.to_string(),
    })?;
    let inv_net = network_of(&inv.currency()).ok_or(InvoiceError::WrongNetwork {
        invoice: "simnet",
        node: network.as_str(),
    })?;
    if inv_net != network {
        return Err(InvoiceError::WrongNetwork {
            invoice: inv_net.as_str(),
            node: network.as_str(),
        });
    }
    let (description, description_hash) = match inv.description() {
        Bolt11InvoiceDescriptionRef::Direct(d) => (Some(d.to_string()), None),
        Bolt11InvoiceDescriptionRef::Hash(h) => (None, Some(h.0.to_string())),
    };
    let min_final_cltv_expiry_delta = inv.min_final_cltv_expiry_delta();
    if min_final_cltv_expiry_delta > u64::from(MAX_FINAL_CLTV) {
        return Err(InvoiceError::FinalCltvTooLarge {
            delta: min_final_cltv_expiry_delta,
            max: MAX_FINAL_CLTV,
        });
    }
    let created_at = inv.duration_since_epoch().as_secs();
    let expires_at = created_at.saturating_add(inv.expiry_time().as_secs());
    Ok(DecodedInvoice {
        payment_request: s.clone(),
        network: inv_net,
        amount_msat: inv.amount_milli_satoshis().map(Msat::from_msat),
        payment_hash: inv.payment_hash().to_string(),
        payee: inv.get_payee_pub_key().to_string(),
        description,
        description_hash,
        created_at,
        expires_at,
        expired: now_secs() >= expires_at,
        min_final_cltv_expiry_delta: u32::try_from(min_final_cltv_expiry_delta)
            .unwrap_or(MAX_FINAL_CLTV),
        route_hints: u32::try_from(inv.route_hints().len()).unwrap_or(u32::MAX),
    })
}

impl DecodedInvoice {
    /// Checks it can be paid now with `amount_msat` (needed only when the
    /// invoice has none); returns the amount to pay.
    pub fn payable(&self, amount_msat: Option<Msat>) -> Result<Msat, InvoiceError> {
        let now = now_secs();
        if now >= self.expires_at {
            return Err(InvoiceError::Expired {
                ago: ago(now - self.expires_at),
            });
        }
        let amount = match (self.amount_msat, amount_msat) {
            (Some(a), None) => Ok(a),
            (Some(a), Some(b)) if a == b => Ok(a),
            (Some(a), Some(_)) => Err(InvoiceError::AmountFixed {
                invoice_msat: a.to_msat(),
            }),
            (None, Some(b)) if !b.is_zero() => Ok(b),
            (None, _) => Err(InvoiceError::AmountMissing),
        }?;
        amount.checked().map_err(|_| InvoiceError::AmountTooLarge {
            msat: amount.to_msat(),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    // BOLT 11 test vector: "Please make a donation of any amount using
    // payment_hash 0001020304050607080900010203040506070809000102030405060708090102
    // to me @03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad".
    const DONATION: &str = "lnbc1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdpl2pkx2ctnv5sxxmmwwd5kgetjypeh2ursdae8g6twvus8g6rfwvs8qun0dfjkxaq9qrsgq357wnc5r2ueh7ck6q93dj32dlqnls087fxdwk8qakdyafkq3yap9us6v52vjjsrvywa6rt52cm9r9zqt8r2t7mlcwspyetp5h2tztugp9lfyql";
    // "1 cup coffee" for 2500 µBTC, expiring in 60 s.
    const COFFEE: &str = "lnbc2500u1pvjluezsp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygspp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu9qrsgquk0rl77nj30yxdy8j9vdx85fkpmdla2087ne0xh8nhedh8w27kyke0lp53ut353s06fv3qfegext0eh0ymjpf39tuven09sam30g4vgpfna3rh";

    /// A regtest invoice signed with a throwaway key, asking for `final_cltv`.
    fn invoice_with_final_cltv(final_cltv: u64) -> String {
        use bitcoin::hashes::{sha256, Hash};
        use bitcoin::secp256k1::{Secp256k1, SecretKey};
        use lightning_invoice::{InvoiceBuilder, PaymentSecret};
        let secp = Secp256k1::new();
        let key = SecretKey::from_slice(&[0x42; 32]).unwrap();
        InvoiceBuilder::new(Currency::Regtest)
            .description("cltv".into())
            .payment_hash(sha256::Hash::hash(b"preimage"))
            .payment_secret(PaymentSecret([7; 32]))
            .duration_since_epoch(std::time::Duration::from_secs(now_secs()))
            .amount_milli_satoshis(1000)
            .min_final_cltv_expiry_delta(final_cltv)
            .build_signed(|m| secp.sign_ecdsa_recoverable(m, &key))
            .unwrap()
            .to_string()
    }

    #[test]
    fn final_time_locks_above_the_route_limit_are_refused_when_decoding() {
        let ok = decode_invoice(&invoice_with_final_cltv(2016), Network::Regtest).unwrap();
        assert_eq!(ok.min_final_cltv_expiry_delta, 2016);
        for too_long in [2017, 100_000, u64::from(u32::MAX) + 5, u64::MAX >> 4] {
            let e =
                decode_invoice(&invoice_with_final_cltv(too_long), Network::Regtest).unwrap_err();
            assert_eq!(
                e,
                InvoiceError::FinalCltvTooLarge {
                    delta: too_long,
                    max: MAX_FINAL_CLTV
                }
            );
        }
    }

    #[test]
    fn bolt11_vectors_decode() {
        let d = decode_invoice(DONATION, Network::Bitcoin).unwrap();
        assert_eq!(d.amount_msat, None);
        assert_eq!(
            d.payment_hash,
            "0001020304050607080900010203040506070809000102030405060708090102"
        );
        assert_eq!(
            d.payee,
            "03e7156ae33b0a208d0744199163177e909e80176e55d97a2f221ede0f934dd9ad"
        );
        assert_eq!(
            d.description.as_deref(),
            Some("Please consider supporting this project")
        );
        assert_eq!(d.created_at, 1_496_314_658);
        assert!(d.expired);

        let c = decode_invoice(
            &format!("  LIGHTNING:{}\n", COFFEE.to_uppercase()),
            Network::Bitcoin,
        )
        .unwrap();
        assert_eq!(c.amount_msat, Some(Msat::from_msat(250_000_000)));
        assert_eq!(c.description.as_deref(), Some("1 cup coffee"));
        assert_eq!(c.expires_at - c.created_at, 60);
    }

    #[test]
    fn bad_invoices_have_specific_errors() {
        assert_eq!(
            decode_invoice("  ", Network::Regtest),
            Err(InvoiceError::Empty)
        );
        assert!(matches!(
            decode_invoice("lnbc1notaninvoice", Network::Bitcoin),
            Err(InvoiceError::Malformed { .. })
        ));
        // One character changed: the checksum fails.
        let broken = COFFEE.replacen("2500u", "2600u", 1);
        assert!(matches!(
            decode_invoice(&broken, Network::Bitcoin),
            Err(InvoiceError::Malformed { .. })
        ));
        assert_eq!(
            decode_invoice(COFFEE, Network::Regtest),
            Err(InvoiceError::WrongNetwork {
                invoice: "bitcoin",
                node: "regtest"
            })
        );
        let c = decode_invoice(COFFEE, Network::Bitcoin).unwrap();
        assert!(matches!(c.payable(None), Err(InvoiceError::Expired { .. })));
    }

    #[test]
    fn amounts_are_checked() {
        let mut d = decode_invoice(DONATION, Network::Bitcoin).unwrap();
        d.expires_at = u64::MAX;
        assert_eq!(d.payable(None), Err(InvoiceError::AmountMissing));
        assert_eq!(
            d.payable(Some(Msat::from_msat(0))),
            Err(InvoiceError::AmountMissing)
        );
        assert_eq!(
            d.payable(Some(Msat::from_msat(5_000))),
            Ok(Msat::from_msat(5_000))
        );
        let mut c = decode_invoice(COFFEE, Network::Bitcoin).unwrap();
        c.expires_at = u64::MAX;
        assert_eq!(c.payable(None), Ok(Msat::from_msat(250_000_000)));
        assert_eq!(
            c.payable(Some(Msat::from_msat(1))),
            Err(InvoiceError::AmountFixed {
                invoice_msat: 250_000_000
            })
        );
    }
}
