//! A durable mpstore backend on sled.
