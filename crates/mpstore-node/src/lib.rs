//! The mpstore engine inside a Node.js process: the native half of the `mpstore-node` npm
//! package (`js/`), built with napi-rs.
//!
//! It opens the same `storage-api` stack as the command line, and answers every API by name
//! through [`storage_api::dispatch`], converting JavaScript values directly. The JavaScript half
//! shapes the platform objects (callbacks, Promises); this half runs the calls:
//!
//! - a Sync form runs on the calling thread and returns its value, or throws the platform's
//!   error (WeChat, Douyin);
//! - an async form runs on the calling thread too (so later calls see its effect, in program
//!   order), and in durable mode a write then waits for the disk on a worker thread of libuv,
//!   sharing each flush with concurrent writers, before its callbacks may run.
//!
//! A durable store is opened in sled's buffered mode and flushed after each acknowledged write:
//! the same promise as the durable mode, with the wait taken off the event loop.

mod caller;
mod convert;
mod store;

pub use caller::Caller;
pub use store::{dialects, Store};
