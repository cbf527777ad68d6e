use onionskin::handshake::{ntor, ntor_v3};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let n: usize = 16;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let keys = ntor_v3::RelayKeys::new([7; 32], ntor_v3::RelaySecretKey::generate(&mut rng));
    let public = keys.public_key();
    let skins: Vec<_> = (0..n)
        .map(|_| {
            ntor_v3::ClientState::start(&mut rng, &public, &[])
                .unwrap()
                .1
        })
        .collect();
    let refs: Vec<&[u8]> = skins.iter().map(|s| s.as_bytes()).collect();
    let nk = ntor::RelayKeys::new([5; 20], ntor::RelaySecretKey::generate(&mut rng));
    let npub = nk.public_key();
    let nskins: Vec<_> = (0..n)
        .map(|_| ntor::ClientState::start(&mut rng, &npub).1)
        .collect();
    let nrefs: Vec<&[u8]> = nskins.iter().map(|s| &s[..]).collect();
    let answer = |_: usize,
                  _: &onionskin::codec::extension::ExtensionList<'_>,
                  w: &mut onionskin::codec::extension::ExtensionWriter<'_>| {
        w.push(
            &onionskin::codec::extension::CircuitExtension::CongestionControlResponse(
                onionskin::codec::extension::CongestionControlResponse { sendme_inc: 31 },
            ),
        )
        .map_err(onionskin::HandshakeError::from)
    };
    for n in [1usize, 2, 4, 8] {
        let reps = (32 / n).max(1);
        let mut best = [f64::MAX; 4];
        for _ in 0..300 {
            let t = std::time::Instant::now();
            for _ in 0..reps {
                ntor::relay_respond_batch(&mut rng, &nk, &nrefs[..n], |_, r| {
                    std::hint::black_box(r.is_ok());
                });
            }
            best[0] = best[0].min(t.elapsed().as_secs_f64() * 1e6 / (reps * n) as f64);
            let t = std::time::Instant::now();
            for _ in 0..reps {
                ntor_v3::relay_respond_batch(&mut rng, &keys, &refs[..n], answer, |_, r| {
                    std::hint::black_box(r.is_ok());
                });
            }
            best[1] = best[1].min(t.elapsed().as_secs_f64() * 1e6 / (reps * n) as f64);
            if n == 1 {
                let t = std::time::Instant::now();
                for _ in 0..reps {
                    std::hint::black_box(
                        ntor_v3::relay_respond(&mut rng, &keys, refs[0], |l, w| answer(0, l, w))
                            .is_ok(),
                    );
                }
                best[2] = best[2].min(t.elapsed().as_secs_f64() * 1e6 / (reps * n) as f64);
                let t = std::time::Instant::now();
                for _ in 0..reps {
                    std::hint::black_box(ntor::relay_respond(&mut rng, &nk, nrefs[0]).is_ok());
                }
                best[3] = best[3].min(t.elapsed().as_secs_f64() * 1e6 / (reps * n) as f64);
            }
        }
        println!(
            "n={n:2}: ntor {:.2}  v3 {:.2}  ratio {:.3}   v3 single {:.2}",
            best[0],
            best[1],
            best[1] / best[0],
            best[2]
        );
    }
    let _ = which;
}
