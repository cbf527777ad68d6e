//! EXTEND2: link-specifier iteration and round trips.
//!
//! Input: an EXTEND2 body. Properties: the lazy iterator yields exactly NSPEC specifiers
//! that together span the list's bytes, every borrowed slice lies inside the input, the
//! summary accessors agree with the iteration, re-encoding gives the input's bytes, and the
//! same message rebuilt from the collected specifiers is equal and encodes identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onionskin::codec::{Create2, Extend2, LinkSpec, LinkSpecs, RelayMsgBody};

fn inside(outer: &[u8], inner: &[u8]) -> bool {
    let o = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    inner.is_empty() || (o.start <= i.start && i.end <= o.end)
}

fuzz_target!(|body: &[u8]| {
    let Ok(m) = Extend2::decode(body) else {
        return;
    };
    let specs: Vec<LinkSpec<'_>> = m.link_specs().iter().collect();
    assert_eq!(specs.len(), m.link_specs().len());
    assert_eq!(m.link_specs().iter().len(), specs.len());
    let spanned: usize = 1 + specs.iter().map(LinkSpec::encoded_len).sum::<usize>();
    assert_eq!(spanned, m.link_specs().encoded_len());

    let mut rsa = Vec::new();
    for spec in &specs {
        assert!(spec.lslen() <= 255);
        if let Some(n) = spec.lstype().expected_len() {
            assert_eq!(spec.lslen(), n);
        }
        match spec {
            LinkSpec::LegacyId(id) => {
                assert!(inside(body, *id));
                rsa.push(*id);
            }
            LinkSpec::Ed25519Id(id) => {
                assert!(inside(body, *id));
                assert_eq!(
                    m.ed25519_id(),
                    Some(*id),
                    "more than one Ed25519 id accepted"
                );
            }
            LinkSpec::Unrecognized { data, .. } => assert!(inside(body, data)),
            _ => {}
        }
    }
    assert_eq!(rsa, [m.rsa_id()], "exactly one RSA id");
    assert_ne!(m.rsa_id(), &[0; 20]);
    let first_v4 = specs.iter().find_map(|s| match s {
        LinkSpec::Ipv4(a) => Some(*a),
        _ => None,
    });
    let first_v6 = specs.iter().find_map(|s| match s {
        LinkSpec::Ipv6(a) => Some(*a),
        _ => None,
    });
    assert_eq!(m.ipv4(), first_v4);
    assert_eq!(m.ipv6(), first_v6);
    assert!(inside(body, m.hdata()));
    assert_ne!(m.htype().0, 1);

    let len = m.encoded_len();
    let mut out = vec![0u8; len];
    assert_eq!(m.encode_into(&mut out), Ok(len));
    assert_eq!(&out[..], &body[..len]);
    assert_eq!(Extend2::decode(&out), Ok(m));

    // The same message built from parts (a slice of specifiers, not wire bytes).
    let list = LinkSpecs::from_slice(&specs).expect("decoded specifiers are valid");
    let create2 = Create2::new(m.htype(), m.hdata()).expect("decoded CREATE2 is valid");
    let rebuilt = Extend2::new(list, create2).expect("decoded EXTEND2 is valid");
    assert_eq!(rebuilt, m);
    let mut out2 = vec![0u8; rebuilt.encoded_len()];
    assert_eq!(rebuilt.encode_into(&mut out2), Ok(len));
    assert_eq!(out2, out);
});
