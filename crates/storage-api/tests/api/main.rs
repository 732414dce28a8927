//! The facades against behaviour §4, one module per area, each a table of one-line cases.

mod common;

mod async_door;
mod backup;
mod batch;
mod callbacks;
mod causes;
mod concurrency;
mod failures;
mod isolation;
mod limits;
mod model;
mod parameters;
mod persistence;
mod read_cache;
mod results;
mod rotation;
mod salvage;
mod seeds;
mod types;
