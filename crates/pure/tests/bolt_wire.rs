//! Our BOLT 1/7 codec against the spec's test vectors (BOLT 1 Appendix A:
//! BigSize, Appendix B: TLV streams in the n1/n2 namespaces, Appendix C:
//! `init` extensions), message round trips, and a gossip file routed over.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is how a test reports

use switchyard_pure::graph::gossip::{parse_gossip, write_gossip};
use switchyard_pure::graph::wire::{
    decode, encode, read_tlv_stream, read_tu64, write_bigsize, ChannelAnnouncement, ChannelUpdate,
    Init, Message, NodeAnnouncement, Reader, WireError,
};
use switchyard_pure::graph::{
    find_route, Graph, MissionControl, RouteRequest, RouterConfig, Scratch,
};

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.strip_prefix("0x").unwrap_or(&s);
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn bigsize_vectors() {
    let ok: [(u64, &str); 8] = [
        (0, "00"),
        (252, "fc"),
        (253, "fd00fd"),
        (65535, "fdffff"),
        (65536, "fe00010000"),
        (4294967295, "feffffffff"),
        (4294967296, "ff0000000100000000"),
        (18446744073709551615, "ffffffffffffffffff"),
    ];
    for (v, hex) in ok {
        let bytes = unhex(hex);
        assert_eq!(Reader::new(&bytes).bigsize("v").unwrap(), v, "{hex}");
        let mut out = Vec::new();
        write_bigsize(&mut out, v);
        assert_eq!(out, bytes, "encode {v}");
    }
    for hex in ["fd00fc", "fe0000ffff", "ff00000000ffffffff"] {
        assert!(
            matches!(
                Reader::new(&unhex(hex)).bigsize("v"),
                Err(WireError::NotCanonical { .. })
            ),
            "{hex}"
        );
    }
    for hex in ["fd00", "feffff", "ffffffffff", "", "fd", "fe", "ff"] {
        assert!(
            matches!(
                Reader::new(&unhex(hex)).bigsize("v"),
                Err(WireError::Truncated { .. })
            ),
            "{hex}"
        );
    }
}

/// Decodes a stream in the spec's `n1` namespace, checking each known record.
fn n1(hex: &str) -> Result<Vec<(u64, Vec<u8>)>, WireError> {
    let bytes = unhex(hex);
    let recs = read_tlv_stream(&bytes, |t| matches!(t, 1 | 2 | 3 | 254))?;
    let mut out = Vec::new();
    for r in recs {
        match r.ty {
            1 => {
                read_tu64(r.value, 1)?;
            }
            2 if r.value.len() != 8 => {
                return Err(WireError::BadTlv {
                    ty: 2,
                    problem: "length",
                })
            }
            3 => {
                if r.value.len() != 49 {
                    return Err(WireError::BadTlv {
                        ty: 3,
                        problem: "length",
                    });
                }
                Reader::new(r.value).point("node_id")?;
            }
            254 if r.value.len() != 2 => {
                return Err(WireError::BadTlv {
                    ty: 254,
                    problem: "length",
                })
            }
            _ => {}
        }
        out.push((r.ty, r.value.to_vec()));
    }
    Ok(out)
}

fn n2(hex: &str) -> Result<Vec<(u64, Vec<u8>)>, WireError> {
    let bytes = unhex(hex);
    let recs = read_tlv_stream(&bytes, |t| matches!(t, 0 | 11))?;
    for r in &recs {
        let v = read_tu64(r.value, r.ty)?;
        if r.ty == 11 && v > u64::from(u32::MAX) {
            return Err(WireError::BadTlv {
                ty: 11,
                problem: "tu32 too long",
            });
        }
    }
    Ok(recs.into_iter().map(|r| (r.ty, r.value.to_vec())).collect())
}

#[test]
fn tlv_vectors() {
    let long_value = format!("0f fd0201 {}", "00".repeat(512));
    let any_ns_fail = [
        "fd",
        "fd01",
        "fd0001 00",
        "fd0101",
        "0f fd",
        "0f fd26",
        "0f fd2602",
        "0f fd0001 00",
        &long_value,
    ];
    for s in any_ns_fail {
        assert!(n1(s).is_err() && n2(s).is_err(), "{s}");
    }
    for s in [
        "12 00",
        "fd0102 00",
        "fe01000002 00",
        "ff0100000000000002 00",
    ] {
        assert!(
            matches!(n1(s), Err(WireError::UnknownEven { .. })) && n2(s).is_err(),
            "{s}"
        );
    }
    let n1_fail = [
        "01 09 ffffffffffffffffff",
        "01 01 00",
        "01 02 0001",
        "01 03 000100",
        "01 04 00010000",
        "01 05 0001000000",
        "01 06 000100000000",
        "01 07 00010000000000",
        "01 08 0001000000000000",
        "02 07 01010101010101",
        "02 09 010101010101010101",
        "03 21 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb",
        "03 29 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb0000000000000001",
        "03 30 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb000000000000000100000000000001",
        "03 31 043da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002",
        "03 32 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb0000000000000001000000000000000001",
        "fd00fe 00",
        "fd00fe 01 01",
        "fd00fe 03 010101",
        "00 00",
        // Ordering and duplicates.
        "02 08 0000000000000226 01 01 2a",
        "02 08 0000000000000231 02 08 0000000000000451",
        "1f 00 0f 01 2a",
        "1f 00 1f 01 2a",
    ];
    for s in n1_fail {
        assert!(n1(s).is_err(), "n1 must refuse {s}");
    }
    assert!(n2("ffffffffffffffffff 00 00 00").is_err());
    for s in [
        "",
        "21 00",
        "fd0201 00",
        "fd00fd 00",
        "fd00ff 00",
        "fe02000001 00",
        "ff0200000000000001 00",
    ] {
        assert_eq!(n1(s).unwrap(), vec![], "{s}");
        assert_eq!(n2(s).unwrap(), vec![], "{s}");
    }
    let amounts: [(&str, u64); 9] = [
        ("01 00", 0),
        ("01 01 01", 1),
        ("01 02 0100", 256),
        ("01 03 010000", 65536),
        ("01 04 01000000", 16777216),
        ("01 05 0100000000", 4294967296),
        ("01 06 010000000000", 1099511627776),
        ("01 07 01000000000000", 281474976710656),
        ("01 08 0100000000000000", 72057594037927936),
    ];
    for (s, v) in amounts {
        let r = n1(s).unwrap();
        assert_eq!(read_tu64(&r[0].1, 1).unwrap(), v, "{s}");
    }
    let r = n1("02 08 0000000000000226").unwrap();
    assert_eq!(
        u64::from_be_bytes(r[0].1.clone().try_into().unwrap()),
        0x226
    );
    let r = n1("03 31 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002").unwrap();
    assert_eq!(r[0].1[33..41], 1u64.to_be_bytes());
    assert_eq!(r[0].1[41..49], 2u64.to_be_bytes());
    assert_eq!(n1("fd00fe 02 0226").unwrap()[0], (254, vec![0x02, 0x26]));
}

#[test]
fn init_extension_vectors() {
    assert!(matches!(
        decode(&unhex("001000000000")).unwrap(),
        Message::Init(_)
    ));
    assert!(matches!(
        decode(&unhex("001000000000c9012acb0104")).unwrap(),
        Message::Init(_)
    ));
    assert!(
        decode(&unhex("00100000000001")).is_err(),
        "truncated extension"
    );
    assert!(
        decode(&unhex("001000000000ca012a")).is_err(),
        "unknown even TLV"
    );
    assert!(
        decode(&unhex("001000000000c90101c90102")).is_err(),
        "duplicate TLV"
    );
    // networks TLV round trip.
    let init = Message::Init(Init {
        global_features: vec![],
        features: vec![0x02, 0x0a],
        networks: Some(vec![[6u8; 32]]),
        remote_addr: None,
    });
    assert_eq!(decode(&encode(&init)).unwrap(), init);
}

fn key(i: u8) -> [u8; 33] {
    use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
    let sk = SecretKey::from_slice(&[i; 32]).unwrap();
    PublicKey::from_secret_key(&Secp256k1::signing_only(), &sk).serialize()
}

fn ann(scid: u64, a: [u8; 33], b: [u8; 33]) -> Message {
    let (n1, n2) = if a < b { (a, b) } else { (b, a) };
    Message::ChannelAnnouncement(ChannelAnnouncement {
        signatures: [[1; 64], [2; 64], [3; 64], [4; 64]],
        features: vec![],
        chain_hash: [0x6f; 32],
        short_channel_id: scid,
        node_id_1: n1,
        node_id_2: n2,
        bitcoin_key_1: key(200),
        bitcoin_key_2: key(201),
    })
}

fn upd(scid: u64, dir: u8, ts: u32, base: u32, ppm: u32) -> Message {
    Message::ChannelUpdate(ChannelUpdate {
        signature: [9; 64],
        chain_hash: [0x6f; 32],
        short_channel_id: scid,
        timestamp: ts,
        message_flags: 1,
        channel_flags: dir,
        cltv_expiry_delta: 40,
        htlc_minimum_msat: 1000,
        fee_base_msat: base,
        fee_proportional_millionths: ppm,
        htlc_maximum_msat: 990_000_000,
        inbound_fee: None,
    })
}

#[test]
fn messages_round_trip_and_refuse_garbage() {
    let msgs = [
        ann(42 << 40, key(1), key(2)),
        upd(42 << 40, 1, 7, 1000, 1),
        Message::NodeAnnouncement(NodeAnnouncement {
            signature: [5; 64],
            features: vec![0x80],
            timestamp: 1_700_000_000,
            node_id: key(1),
            rgb_color: [1, 2, 3],
            alias: {
                let mut a = [0u8; 32];
                a[..5].copy_from_slice(b"alice");
                a
            },
            addresses: vec![1, 127, 0, 0, 1, 0x26, 0x07],
        }),
        Message::Ping {
            num_pong_bytes: 4,
            ignored: 3,
        },
        Message::Pong { ignored: 4 },
    ];
    for m in &msgs {
        assert_eq!(&decode(&encode(m)).unwrap(), m);
    }
    // Truncation anywhere is an error naming the field, not a panic.
    let bytes = encode(&msgs[1]);
    for cut in 0..bytes.len() {
        let e = decode(&bytes[..cut]).unwrap_err();
        assert!(matches!(e, WireError::Truncated { .. }), "{cut}: {e}");
    }
    // A channel announcement with a node key that is not a point.
    let mut bad = encode(&msgs[0]);
    let at = 2 + 256 + 2 + 32 + 8;
    bad[at] = 0x04;
    assert_eq!(
        decode(&bad).unwrap_err(),
        WireError::Invalid { what: "node_id_1" }
    );
    assert_eq!(decode(&[0x01, 0x2d]).unwrap(), Message::UnknownOdd(301));
    assert!(matches!(
        decode(&[0x01, 0x2c]),
        Err(WireError::UnknownEven { .. })
    ));
}

#[test]
fn a_gossip_file_becomes_a_routable_graph() {
    let (a, b, c) = (key(1), key(2), key(3));
    let s1 = 700_000u64 << 40;
    let s2 = (700_001u64 << 40) | (1 << 16);
    let dir = |from: [u8; 33], to: [u8; 33]| u8::from(from > to);
    let file = write_gossip(&[
        ann(s1, a, b),
        ann(s2, b, c),
        upd(s1, dir(a, b), 10, 0, 0),
        upd(s2, dir(b, c), 10, 5000, 100),
        upd(s2, dir(b, c), 20, 1000, 10),  // newer: wins
        upd(s2, dir(b, c), 15, 9000, 900), // older: ignored
        upd(999, 0, 1, 1, 1),              // never announced
        Message::Ping {
            num_pong_bytes: 0,
            ignored: 0,
        },
    ]);
    let imp = parse_gossip(&file).unwrap();
    assert_eq!(imp.messages, 8);
    assert_eq!(imp.orphan_updates, 1);
    assert_eq!(imp.channels.len(), 2);
    assert_eq!(imp.channels[1].capacity_sat, 990_000);
    let g = Graph::from_channels(imp.channels);
    let req = RouteRequest {
        source: g.node(&a).unwrap(),
        target: g.node(&c).unwrap(),
        amount_msat: 1_000_000,
        ..Default::default()
    };
    let r = find_route(
        &g,
        &req,
        &RouterConfig::fees_only(),
        &MissionControl::new(),
        &mut Scratch::new(),
    )
    .unwrap();
    assert_eq!(r.hops.len(), 2);
    assert_eq!(r.fee_msat, 1000 + 10);
    // A truncated file says where.
    let e = parse_gossip(&file[..file.len() - 1]).unwrap_err();
    assert!(e.to_string().contains("Gossip message 7"), "{e}");
}

#[test]
fn lnds_inbound_fee_record_travels_in_channel_updates() {
    let scid = 42 << 40;
    let mut m = upd(scid, 1, 10, 1000, 1);
    if let Message::ChannelUpdate(u) = &mut m {
        u.inbound_fee = Some((-200, -5));
    }
    let bytes = encode(&m);
    // After the fixed fields: TLV type 55555 (BigSize 0xfd 0xd903), length 8,
    // base -200 and rate -5 as big-endian i32.
    assert!(
        bytes.ends_with(&[0xfd, 0xd9, 0x03, 0x08, 0xff, 0xff, 0xff, 0x38, 0xff, 0xff, 0xff, 0xfb])
    );
    assert_eq!(decode(&bytes).unwrap(), m);
    // Extra data that is not a TLV stream is ignored, not an error.
    let mut odd = encode(&upd(scid, 1, 10, 1000, 1));
    odd.push(0xff);
    match decode(&odd).unwrap() {
        Message::ChannelUpdate(u) => assert_eq!(u.inbound_fee, None),
        other => panic!("{other:?}"),
    }
    // Through a gossip file into the graph: node 2's discount on the channel.
    let file = write_gossip(&[ann(scid, key(1), key(2)), upd(scid, 0, 10, 1000, 1), m]);
    let g = Graph::from_channels(parse_gossip(&file).unwrap().channels);
    let c = g.channel_by_scid(scid).unwrap();
    let p = g.edge_policy(2 * c + 1).unwrap();
    assert_eq!((p.inbound_base_msat, p.inbound_fee_ppm), (-200, -5));
    assert_eq!(p.inbound_fee_msat(1_000_000), -205);
}
