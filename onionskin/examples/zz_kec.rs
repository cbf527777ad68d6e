fn main() {
    let mut st = [[1u64; 25]; 4];
    let mut one = [3u64; 25];
    let mut best = [f64::MAX; 2];
    for _ in 0..2000 {
        let t = std::time::Instant::now();
        for _ in 0..100 {
            onionskin::keccak::f1600_portable(std::hint::black_box(&mut one));
        }
        best[0] = best[0].min(t.elapsed().as_secs_f64() * 1e9 / 100.0);
        let t = std::time::Instant::now();
        for _ in 0..100 {
            onionskin::keccak::f1600_x4(std::hint::black_box(&mut st));
        }
        best[1] = best[1].min(t.elapsed().as_secs_f64() * 1e9 / 100.0);
    }
    println!("scalar {:.0} ns, x4 dispatch {:.0} ns", best[0], best[1]);
}
