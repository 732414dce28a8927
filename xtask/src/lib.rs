//! mpstore's developer tasks, and the repository checks that `cargo test` runs.

pub mod layers;
pub mod msrv;
