//! # mpstore
//!
//! The command line of mpstore, as a library so its parts can be tested: the JSON-lines bridge
//! that JavaScript hosts drive ([`bridge`]), the type-tagged value encoding it speaks
//! ([`tagged`]), and the exit codes of the command line ([`exit`]).

#![warn(missing_docs)]

pub mod bridge;
pub mod cli;
pub mod exit;
pub mod stop;
pub mod tour;

/// The type-tagged JSON of bridge requests and responses (it lives with the value model).
pub use storage_core::value::tagged;
