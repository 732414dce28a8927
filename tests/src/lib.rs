//! Tests that need more than one of mpstore's crates live here, above every layer, so that no
//! crate has to depend sideways on another just to be tested with it.
//!
//! The library holds the helpers several of those test files share.

pub mod bridge_lines;
pub mod encrypted_sled;
pub mod rng;
