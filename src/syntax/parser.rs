//! The pest parser generated from `grammar/egress.pest`. Nothing else lives here.

#[derive(pest_derive::Parser)]
#[grammar = "grammar/egress.pest"]
pub struct EgressParser;
