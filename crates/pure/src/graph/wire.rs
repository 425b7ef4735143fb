//! Our BOLT 1 / BOLT 7 wire codec, for importing gossip: big-endian
//! integers, `u16` length prefixes, BigSize, TLV streams (with BOLT 1's
//! ordering, minimality and even/odd rules), and the messages `init`,
//! `ping`, `pong`, `channel_announcement`, `node_announcement` and
//! `channel_update`. Signatures are carried, not verified (an import trusts
//! its file; gossip from peers is LND's job).
//!
//! Every decoder checks lengths before reading and reports what was short or
//! malformed and where, never panics (fuzzed in `tests/fuzz_parsers.rs`).

/// Why bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Ran out of bytes.
    #[error("message truncated: {what} needs {need} more byte(s) at offset {at}")]
    Truncated {
        /// The field being read.
        what: &'static str,
        /// Bytes missing.
        need: usize,
        /// Offset.
        at: usize,
    },
    /// A BigSize longer than needed.
    #[error("BigSize at offset {at} is not minimally encoded")]
    NotCanonical {
        /// Offset.
        at: usize,
    },
    /// TLV types out of order or repeated.
    #[error("TLV type {ty} at offset {at} does not increase strictly")]
    TlvOrder {
        /// The type.
        ty: u64,
        /// Offset.
        at: usize,
    },
    /// An unknown even TLV type or message type.
    #[error("unknown even {what} {ty}: it must be understood")]
    UnknownEven {
        /// "TLV type" or "message type".
        what: &'static str,
        /// The type.
        ty: u64,
    },
    /// A known TLV record of the wrong length or a non-minimal value.
    #[error("TLV type {ty}: {problem}")]
    BadTlv {
        /// The type.
        ty: u64,
        /// What is wrong.
        problem: &'static str,
    },
    /// A field that is not what it must be (a point that is not a point…).
    #[error("{what} is invalid")]
    Invalid {
        /// The field.
        what: &'static str,
    },
}

/// Reads big-endian fields off a byte slice, tracking the offset.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// At the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// `n` raw bytes.
    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        if self.remaining() < n {
            return Err(WireError::Truncated {
                what,
                need: n - self.remaining(),
                at: self.pos,
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// A fixed-size array.
    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, what)?);
        Ok(out)
    }

    /// `u8`.
    pub fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        Ok(self.array::<1>(what)?[0])
    }
    /// `u16`.
    pub fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }
    /// `u32`.
    pub fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }
    /// `u64`.
    pub fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// `u16` length, then that many bytes.
    pub fn u16_prefixed(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let n = self.u16(what)?;
        self.bytes(usize::from(n), what)
    }

    /// A compressed secp256k1 point (checked to be on the curve).
    pub fn point(&mut self, what: &'static str) -> Result<[u8; 33], WireError> {
        let p: [u8; 33] = self.array(what)?;
        bitcoin::secp256k1::PublicKey::from_slice(&p).map_err(|_| WireError::Invalid { what })?;
        Ok(p)
    }

    /// BigSize (BOLT 1 Appendix A), minimally encoded.
    pub fn bigsize(&mut self, what: &'static str) -> Result<u64, WireError> {
        let at = self.pos;
        let first = self.u8(what)?;
        let (v, min) = match first {
            0xfd => (u64::from(self.u16(what)?), 0xfd),
            0xfe => (u64::from(self.u32(what)?), 0x1_0000),
            0xff => (self.u64(what)?, 0x1_0000_0000),
            b => return Ok(u64::from(b)),
        };
        if v < min {
            return Err(WireError::NotCanonical { at });
        }
        Ok(v)
    }

    /// The rest of the bytes.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }
}

/// Appends BigSize.
pub fn write_bigsize(out: &mut Vec<u8>, v: u64) {
    match v {
        0..=0xfc => out.push(v as u8),
        0xfd..=0xffff => {
            out.push(0xfd);
            out.extend_from_slice(&(v as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xfe);
            out.extend_from_slice(&(v as u32).to_be_bytes());
        }
        _ => {
            out.push(0xff);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

/// A truncated unsigned integer (`tu64`): must be minimal (no leading zero).
pub fn read_tu64(bytes: &[u8], ty: u64) -> Result<u64, WireError> {
    if bytes.len() > 8 {
        return Err(WireError::BadTlv {
            ty,
            problem: "longer than 8 bytes",
        });
    }
    if bytes.first() == Some(&0) {
        return Err(WireError::BadTlv {
            ty,
            problem: "truncated integer not minimal",
        });
    }
    Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Appends `tu64`.
pub fn write_tu64(out: &mut Vec<u8>, v: u64) {
    let b = v.to_be_bytes();
    let skip = b.iter().take_while(|x| **x == 0).count();
    out.extend_from_slice(&b[skip..]);
}

/// One TLV record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlvRecord<'a> {
    /// Type.
    pub ty: u64,
    /// Value.
    pub value: &'a [u8],
}

/// Parses a TLV stream to its end. `known(ty)`: whether the namespace
/// defines `ty` (unknown even types fail, unknown odd types are skipped).
pub fn read_tlv_stream<'a>(
    bytes: &'a [u8],
    known: impl Fn(u64) -> bool,
) -> Result<Vec<TlvRecord<'a>>, WireError> {
    let mut r = Reader::new(bytes);
    let mut last: Option<u64> = None;
    let mut out = Vec::new();
    while r.remaining() > 0 {
        let at = r.pos();
        let ty = r.bigsize("TLV type")?;
        if last.is_some_and(|l| ty <= l) {
            return Err(WireError::TlvOrder { ty, at });
        }
        last = Some(ty);
        let len = r.bigsize("TLV length")?;
        let len = usize::try_from(len).map_err(|_| WireError::Truncated {
            what: "TLV value",
            need: usize::MAX,
            at: r.pos(),
        })?;
        let value = r.bytes(len, "TLV value")?;
        if known(ty) {
            out.push(TlvRecord { ty, value });
        } else if ty % 2 == 0 {
            return Err(WireError::UnknownEven {
                what: "TLV type",
                ty,
            });
        }
    }
    Ok(out)
}

/// Appends a TLV stream (records must be given in increasing type order).
pub fn write_tlv_stream(out: &mut Vec<u8>, records: &[(u64, Vec<u8>)]) {
    for (ty, v) in records {
        write_bigsize(out, *ty);
        write_bigsize(out, v.len() as u64);
        out.extend_from_slice(v);
    }
}

/// `init` (16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Init {
    /// Legacy global features.
    pub global_features: Vec<u8>,
    /// Features.
    pub features: Vec<u8>,
    /// `networks` TLV (chain hashes).
    pub networks: Option<Vec<[u8; 32]>>,
    /// `remote_addr` TLV.
    pub remote_addr: Option<Vec<u8>>,
}

/// `channel_announcement` (256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelAnnouncement {
    /// The four signatures.
    pub signatures: [[u8; 64]; 4],
    /// Features.
    pub features: Vec<u8>,
    /// Chain.
    pub chain_hash: [u8; 32],
    /// Short channel id.
    pub short_channel_id: u64,
    /// The smaller node id.
    pub node_id_1: [u8; 33],
    /// The other.
    pub node_id_2: [u8; 33],
    /// Funding keys.
    pub bitcoin_key_1: [u8; 33],
    /// Funding keys.
    pub bitcoin_key_2: [u8; 33],
}

/// `node_announcement` (257).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAnnouncement {
    /// Signature.
    pub signature: [u8; 64],
    /// Features.
    pub features: Vec<u8>,
    /// Unix seconds.
    pub timestamp: u32,
    /// Node.
    pub node_id: [u8; 33],
    /// Colour.
    pub rgb_color: [u8; 3],
    /// Alias (32 bytes, zero padded).
    pub alias: [u8; 32],
    /// Address descriptors.
    pub addresses: Vec<u8>,
}

impl NodeAnnouncement {
    /// The alias as text (trailing zeros dropped; invalid UTF-8 replaced).
    pub fn alias_text(&self) -> String {
        let end = self
            .alias
            .iter()
            .rposition(|b| *b != 0)
            .map_or(0, |i| i + 1);
        String::from_utf8_lossy(&self.alias[..end]).into_owned()
    }
}

/// `channel_update` (258).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelUpdate {
    /// Signature.
    pub signature: [u8; 64],
    /// Chain.
    pub chain_hash: [u8; 32],
    /// Short channel id.
    pub short_channel_id: u64,
    /// Unix seconds.
    pub timestamp: u32,
    /// Bit 0: `must_be_one` (htlc_maximum_msat present).
    pub message_flags: u8,
    /// Bit 0: direction (0: from node_id_1); bit 1: disabled.
    pub channel_flags: u8,
    /// CLTV delta.
    pub cltv_expiry_delta: u16,
    /// Smallest HTLC.
    pub htlc_minimum_msat: u64,
    /// Base fee.
    pub fee_base_msat: u32,
    /// Proportional fee.
    pub fee_proportional_millionths: u32,
    /// Largest HTLC.
    pub htlc_maximum_msat: u64,
    /// LND's inbound fee (base msat, rate ppm), from the update's extra TLV
    /// record 55555 (odd, so other implementations skip it), if present.
    pub inbound_fee: Option<(i32, i32)>,
}

/// The TLV type LND uses for the inbound fee in a `channel_update`'s extra data.
pub const INBOUND_FEE_TLV: u64 = 55555;

/// The inbound fee in a `channel_update`'s extra data: a TLV stream that may
/// hold record 55555 (two big-endian `i32`s). Extra data that is not a valid
/// TLV stream, or a record of another length, is ignored: the update's
/// required fields stand on their own.
fn inbound_fee_of(extra: &[u8]) -> Option<(i32, i32)> {
    let records = read_tlv_stream(extra, |t| t == INBOUND_FEE_TLV).ok()?;
    let v = records.iter().find(|r| r.ty == INBOUND_FEE_TLV)?.value;
    let base: [u8; 4] = v.get(0..4)?.try_into().ok()?;
    let rate: [u8; 4] = v.get(4..8)?.try_into().ok()?;
    (v.len() == 8).then(|| (i32::from_be_bytes(base), i32::from_be_bytes(rate)))
}

/// A decoded message.
// Messages are decoded one at a time and consumed at once; boxing the
// announcements would add an allocation per message for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// 16.
    Init(Init),
    /// 18.
    Ping {
        /// Pong bytes asked for.
        num_pong_bytes: u16,
        /// Padding length.
        ignored: u16,
    },
    /// 19.
    Pong {
        /// Padding length.
        ignored: u16,
    },
    /// 256.
    ChannelAnnouncement(ChannelAnnouncement),
    /// 257.
    NodeAnnouncement(NodeAnnouncement),
    /// 258.
    ChannelUpdate(ChannelUpdate),
    /// An odd message type we do not know (ignored, as BOLT 1 says).
    UnknownOdd(u16),
}

/// Decodes one message (type + payload + optional extension TLVs).
pub fn decode(bytes: &[u8]) -> Result<Message, WireError> {
    let mut r = Reader::new(bytes);
    let ty = r.u16("message type")?;
    let msg = match ty {
        16 => {
            let global_features = r.u16_prefixed("globalfeatures")?.to_vec();
            let features = r.u16_prefixed("features")?.to_vec();
            let mut networks = None;
            let mut remote_addr = None;
            for rec in read_tlv_stream(r.rest(), |t| t == 1 || t == 3)? {
                match rec.ty {
                    1 => {
                        if rec.value.len() % 32 != 0 {
                            return Err(WireError::BadTlv {
                                ty: 1,
                                problem: "networks is not a list of 32-byte chain hashes",
                            });
                        }
                        networks = Some(
                            rec.value
                                .chunks(32)
                                .map(|c| {
                                    let mut h = [0u8; 32];
                                    h.copy_from_slice(c);
                                    h
                                })
                                .collect(),
                        );
                    }
                    _ => remote_addr = Some(rec.value.to_vec()),
                }
            }
            Message::Init(Init {
                global_features,
                features,
                networks,
                remote_addr,
            })
        }
        18 => {
            let num_pong_bytes = r.u16("num_pong_bytes")?;
            let ignored = r.u16_prefixed("ignored")?.len() as u16;
            Message::Ping {
                num_pong_bytes,
                ignored,
            }
        }
        19 => Message::Pong {
            ignored: r.u16_prefixed("ignored")?.len() as u16,
        },
        256 => {
            let signatures = [
                r.array("node_signature_1")?,
                r.array("node_signature_2")?,
                r.array("bitcoin_signature_1")?,
                r.array("bitcoin_signature_2")?,
            ];
            let features = r.u16_prefixed("features")?.to_vec();
            let chain_hash = r.array("chain_hash")?;
            let short_channel_id = r.u64("short_channel_id")?;
            let node_id_1 = r.point("node_id_1")?;
            let node_id_2 = r.point("node_id_2")?;
            let bitcoin_key_1 = r.point("bitcoin_key_1")?;
            let bitcoin_key_2 = r.point("bitcoin_key_2")?;
            Message::ChannelAnnouncement(ChannelAnnouncement {
                signatures,
                features,
                chain_hash,
                short_channel_id,
                node_id_1,
                node_id_2,
                bitcoin_key_1,
                bitcoin_key_2,
            })
        }
        257 => Message::NodeAnnouncement(NodeAnnouncement {
            signature: r.array("signature")?,
            features: r.u16_prefixed("features")?.to_vec(),
            timestamp: r.u32("timestamp")?,
            node_id: r.point("node_id")?,
            rgb_color: r.array("rgb_color")?,
            alias: r.array("alias")?,
            addresses: r.u16_prefixed("addresses")?.to_vec(),
        }),
        258 => {
            let signature = r.array("signature")?;
            let chain_hash = r.array("chain_hash")?;
            let short_channel_id = r.u64("short_channel_id")?;
            let timestamp = r.u32("timestamp")?;
            let message_flags = r.u8("message_flags")?;
            let channel_flags = r.u8("channel_flags")?;
            let cltv_expiry_delta = r.u16("cltv_expiry_delta")?;
            let htlc_minimum_msat = r.u64("htlc_minimum_msat")?;
            let fee_base_msat = r.u32("fee_base_msat")?;
            let fee_proportional_millionths = r.u32("fee_proportional_millionths")?;
            let htlc_maximum_msat = r.u64("htlc_maximum_msat")?;
            Message::ChannelUpdate(ChannelUpdate {
                signature,
                chain_hash,
                short_channel_id,
                timestamp,
                message_flags,
                channel_flags,
                cltv_expiry_delta,
                htlc_minimum_msat,
                fee_base_msat,
                fee_proportional_millionths,
                htlc_maximum_msat,
                inbound_fee: inbound_fee_of(r.rest()),
            })
        }
        t if t % 2 == 1 => Message::UnknownOdd(t),
        t => {
            return Err(WireError::UnknownEven {
                what: "message type",
                ty: u64::from(t),
            })
        }
    };
    Ok(msg)
}

/// Encodes a message.
pub fn encode(m: &Message) -> Vec<u8> {
    let mut o = Vec::new();
    let u16p = |o: &mut Vec<u8>, b: &[u8]| {
        o.extend_from_slice(&(b.len() as u16).to_be_bytes());
        o.extend_from_slice(b);
    };
    match m {
        Message::Init(i) => {
            o.extend_from_slice(&16u16.to_be_bytes());
            u16p(&mut o, &i.global_features);
            u16p(&mut o, &i.features);
            let mut recs = Vec::new();
            if let Some(n) = &i.networks {
                recs.push((1, n.concat()));
            }
            if let Some(a) = &i.remote_addr {
                recs.push((3, a.clone()));
            }
            write_tlv_stream(&mut o, &recs);
        }
        Message::Ping {
            num_pong_bytes,
            ignored,
        } => {
            o.extend_from_slice(&18u16.to_be_bytes());
            o.extend_from_slice(&num_pong_bytes.to_be_bytes());
            u16p(&mut o, &vec![0u8; usize::from(*ignored)]);
        }
        Message::Pong { ignored } => {
            o.extend_from_slice(&19u16.to_be_bytes());
            u16p(&mut o, &vec![0u8; usize::from(*ignored)]);
        }
        Message::ChannelAnnouncement(a) => {
            o.extend_from_slice(&256u16.to_be_bytes());
            for s in &a.signatures {
                o.extend_from_slice(s);
            }
            u16p(&mut o, &a.features);
            o.extend_from_slice(&a.chain_hash);
            o.extend_from_slice(&a.short_channel_id.to_be_bytes());
            for k in [
                &a.node_id_1,
                &a.node_id_2,
                &a.bitcoin_key_1,
                &a.bitcoin_key_2,
            ] {
                o.extend_from_slice(k);
            }
        }
        Message::NodeAnnouncement(n) => {
            o.extend_from_slice(&257u16.to_be_bytes());
            o.extend_from_slice(&n.signature);
            u16p(&mut o, &n.features);
            o.extend_from_slice(&n.timestamp.to_be_bytes());
            o.extend_from_slice(&n.node_id);
            o.extend_from_slice(&n.rgb_color);
            o.extend_from_slice(&n.alias);
            u16p(&mut o, &n.addresses);
        }
        Message::ChannelUpdate(u) => {
            o.extend_from_slice(&258u16.to_be_bytes());
            o.extend_from_slice(&u.signature);
            o.extend_from_slice(&u.chain_hash);
            o.extend_from_slice(&u.short_channel_id.to_be_bytes());
            o.extend_from_slice(&u.timestamp.to_be_bytes());
            o.push(u.message_flags);
            o.push(u.channel_flags);
            o.extend_from_slice(&u.cltv_expiry_delta.to_be_bytes());
            o.extend_from_slice(&u.htlc_minimum_msat.to_be_bytes());
            o.extend_from_slice(&u.fee_base_msat.to_be_bytes());
            o.extend_from_slice(&u.fee_proportional_millionths.to_be_bytes());
            o.extend_from_slice(&u.htlc_maximum_msat.to_be_bytes());
            if let Some((base, rate)) = u.inbound_fee {
                let value = [base.to_be_bytes(), rate.to_be_bytes()].concat();
                write_tlv_stream(&mut o, &[(INBOUND_FEE_TLV, value)]);
            }
        }
        Message::UnknownOdd(t) => o.extend_from_slice(&t.to_be_bytes()),
    }
    o
}
