//! The evaluators' tests, one file per topic (cedar's `validator/typecheck/test/`), on the
//! helpers of `utils.rs`. Each product's YAML read back from our backends is also held to the
//! reference evaluator (`*_round_trip.rs`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

mod utils;

mod reading;

mod native_isolation;
mod native_peers;
mod native_ports;
mod native_reading;
mod native_round_trip;

mod cilium_cidrs_and_ports;
mod cilium_endpoints;
mod cilium_fqdn;
mod cilium_http_headers;
mod cilium_isolation;
mod cilium_mesh;
mod cilium_reading;
mod cilium_round_trip;
mod cilium_server_names;

mod calico_domains;
mod calico_matching;
mod calico_order;
mod calico_reading;
mod calico_round_trip;
mod calico_selector;

mod cluster_addresses;
mod protocols;
mod split_keys;
mod yaml_events;
