//! Kind `kdf_tor` (tor-spec 5.2.1): `out_len` bytes of KDF-TOR(`k0`) must equal `out`.

use crate::util::{self, Checker, Report};
use onionskin::kdf;
use serde_json::Value;

pub(crate) fn check(doc: &Value, report: &mut Report) -> bool {
    for case in util::cases(doc) {
        let mut c = Checker::default();
        let k0 = util::hex_field(&mut c, case, "k0");
        let want = util::hex_field(&mut c, case, "out");
        let out_len = usize::try_from(util::int_field(&mut c, case, "out_len")).unwrap_or(0);
        let mut out = vec![0u8; out_len];
        if c.ok("kdf_tor", kdf::kdf_tor(&[&k0], &mut out)).is_some() {
            c.eq("out", &out, &want);
        }
        report.case(&util::id(case), c.errors);
    }
    true
}
