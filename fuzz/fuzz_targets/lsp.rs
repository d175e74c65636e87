//! The language server's message loop on one input (see `checks::lsp`). A panic, a stack
//! overflow, a timeout or a server that stops answering before `exit` is a finding.

#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::lsp(data));
