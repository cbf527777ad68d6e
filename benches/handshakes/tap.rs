//! Placeholder: filled in by its issue.

use criterion::Criterion;

pub(crate) fn bench(_c: &mut Criterion) {}
