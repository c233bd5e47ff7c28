//! The stock flow: mapping import and verification, observations, the pusher, reconciliation.
pub mod mapping_file;
pub mod verify;
