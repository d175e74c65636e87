//! The whole pipeline on one input (see `checks::pipeline`). A panic, a stack overflow, a
//! timeout or an evaluator that disagrees with the reference is a finding.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::pipeline(data));
