//! Reliability and security suite (issue 14): the real binary against the sandboxes.
//! Every scenario prints its figures as a table row; `docs/RELIABILITY.md` keeps them.
//! Longer runs on demand: `JLBRIDGE_RELIABILITY_CRASHES`, `JLBRIDGE_RELIABILITY_FAULT_SECS`,
//! `JLBRIDGE_RELIABILITY_SEED`, `PROPTEST_CASES`.
pub mod harness;
pub mod summary;

mod abuse;
mod crash;
mod faults;
mod fuzz;
mod replicas;
mod secrets;
