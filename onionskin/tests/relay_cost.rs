//! Unit tests of the relay cost report's machinery (statistics, sampler, argument parsing,
//! capacity calculator, SVG, number formats). The report itself is `benches/relay_cost.rs`;
//! benches get no test harness, so its modules are compiled here too and their `tests`
//! modules run here. Nothing here times anything.

#![allow(dead_code, unreachable_pub)]

pub(crate) use error::Error;

#[path = "../benches/relay_cost/args.rs"]
mod args;
#[path = "../benches/relay_cost/calc.rs"]
mod calc;
#[path = "../benches/relay_cost/cases.rs"]
mod cases;
#[path = "../benches/relay_cost/cells.rs"]
mod cells;
#[path = "../benches/relay_cost/criterion_check.rs"]
mod criterion_check;
#[path = "../benches/relay_cost/error.rs"]
mod error;
#[path = "../benches/relay_cost/fixtures.rs"]
mod fixtures;
#[path = "../benches/relay_cost/floor.rs"]
mod floor;
#[path = "../benches/relay_cost/json.rs"]
mod json;
#[path = "../benches/relay_cost/machine.rs"]
mod machine;
#[path = "../benches/relay_cost/report.rs"]
mod report;
#[path = "../benches/relay_cost/sampler.rs"]
mod sampler;
#[path = "../benches/relay_cost/stats.rs"]
mod stats;
#[path = "../benches/relay_cost/svg.rs"]
mod svg;
#[path = "../benches/relay_cost/table.rs"]
mod table;
