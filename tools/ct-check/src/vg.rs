//! The valgrind client requests ct_check needs, over `crabgrind`: mark secrets undefined,
//! declassify what is public by design, and read memcheck's error count.
//!
//! Every declassification goes through [`public`] with a reason; the reasons are collected so
//! the summary can list what was declassified and how often.

use crabgrind::memcheck::{MemState, mark_mem};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// True when this process runs on valgrind's synthetic CPU (`RUNNING_ON_VALGRIND`).
pub(crate) fn on_valgrind() -> bool {
    crabgrind::run_mode() != crabgrind::RunMode::Native
}

/// True when memcheck (not another valgrind tool) answers the client requests and a mark
/// takes effect: a byte marked undefined reads back as undefined (`VALGRIND_GET_VBITS`), and
/// as defined once declassified. Without this a clean result could mean nothing.
pub(crate) fn memcheck_active() -> bool {
    let mut probe = [0x5au8; 8];
    let vbits_of = |probe: &mut [u8; 8]| {
        let mut bits = [0x11u8; 8];
        // GET_VBITS writes the shadow bits (1 = undefined) into `bits`: the pointer comes from
        // a `&mut`, and the opaque call makes the compiler reload `bits` afterwards.
        crabgrind::memcheck::vbits(
            core::ptr::from_mut(probe).cast(),
            core::ptr::from_mut(&mut bits).cast_const().cast(),
            8,
        )
        .ok()
        .map(|()| bits)
    };
    mark(&mut probe, MemState::Undefined);
    let undefined = vbits_of(&mut probe);
    mark(&mut probe, MemState::Defined);
    let defined = vbits_of(&mut probe);
    undefined == Some([0xff; 8]) && defined == Some([0; 8])
}

/// The number of errors memcheck has reported so far (`VALGRIND_COUNT_ERRORS`), not counting
/// suppressed ones.
pub(crate) fn errors() -> usize {
    crabgrind::count_errors()
}

fn mark<T: ?Sized>(v: &mut T, state: MemState) {
    let len = size_of_val(v);
    // The pointer goes to an opaque FFI call, so the compiler must assume the bytes changed
    // and reload them afterwards: a copy cached in a register before the mark cannot leak
    // past it. Its result is not looked at: crabgrind 0.1.9 reads memcheck's success as
    // failure; `memcheck_active` checks that marks work, by reading them back.
    let _ = mark_mem(core::ptr::from_mut(v).cast(), len, state);
}

/// `VALGRIND_MAKE_MEM_UNDEFINED`: from here on memcheck reports any branch or memory index
/// that depends on these bytes. Their values are unchanged.
pub(crate) fn secret<T: ?Sized>(v: &mut T) {
    mark(v, MemState::Undefined);
}

/// `VALGRIND_MAKE_MEM_DEFINED` on a value that is public by design; `why` names it in the
/// summary and must match an entry of the README (section "Constant-time check").
pub(crate) fn public<T: ?Sized>(v: &mut T, why: &'static str) {
    mark(v, MemState::Defined);
    if let Ok(mut seen) = DECLASSIFIED.lock() {
        *seen.entry(why).or_insert(0) += 1;
    }
}

/// [`public`] on a value behind a shared reference (e.g. a public key inside a key struct
/// whose fields are private). Marking memory *defined* through a shared reference errs only
/// on the loud side: should the compiler have kept an undefined copy in a register, memcheck
/// reports a finding, it cannot hide one.
pub(crate) fn public_ref<T: ?Sized>(v: &T, why: &'static str) {
    let len = size_of_val(v);
    let _ = mark_mem(
        core::ptr::from_ref(v).cast_mut().cast(),
        len,
        MemState::Defined,
    );
    if let Ok(mut seen) = DECLASSIFIED.lock() {
        *seen.entry(why).or_insert(0) += 1;
    }
}

/// [`secret`] on a value behind a shared reference: the secret parts of a key struct whose
/// fields are private. The caller must then pass the owning value through
/// `core::hint::black_box(&mut owner)`, so that the compiler cannot reuse a copy it loaded
/// before the mark.
pub(crate) fn secret_ref<T: ?Sized>(v: &T) {
    let len = size_of_val(v);
    let _ = mark_mem(
        core::ptr::from_ref(v).cast_mut().cast(),
        len,
        MemState::Undefined,
    );
}

static DECLASSIFIED: Mutex<BTreeMap<&'static str, usize>> = Mutex::new(BTreeMap::new());

/// Every reason [`public`] was called with, and how often.
pub(crate) fn declassified() -> Vec<(&'static str, usize)> {
    DECLASSIFIED
        .lock()
        .map(|m| m.iter().map(|(k, v)| (*k, *v)).collect())
        .unwrap_or_default()
}
