//! Placeholder: this kind is not checked yet.

use crate::util::Report;
use serde_json::Value;

pub fn check(_doc: &Value, _report: &mut Report) -> bool {
    false
}

#[allow(dead_code)]
pub fn check_reject(_doc: &Value, _report: &mut Report) -> bool {
    false
}
