//! One file per lint: its code, name, explanation, settings and check. The registry
//! (`lint::registry::RULES`) lists them.

pub mod cidr_overlaps_cluster;
pub mod credential_in_header;
pub mod http_on_tls_port;
pub mod loose_dns;
pub mod metadata_reachable;
pub mod no_default_deny;
pub mod no_dns;
pub mod overlapping_workloads;
pub mod redundant_destination;
pub mod single_ip_family;
pub mod tls_on_http_port;
pub mod undeclared_cluster_ranges;
pub mod unused_definition;
pub mod wide_port_range;
pub mod wide_private_cidr;
