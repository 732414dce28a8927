//! Redis errors and replies, turned into [`storage_core::Error`].

use redis::{ErrorKind, RedisError, ServerErrorKind, Value};
use storage_core::Error;

/// Server error codes that mean "this slot cannot be served right now, try again later".
const RETRYABLE_CODES: &[&str] = &[
    "CLUSTERDOWN",
    "TRYAGAIN",
    "MASTERDOWN",
    "LOADING",
    "NOREPLICAS",
    "READONLY",
    "MOVED",
    "ASK",
];

/// A Redis failure as a storage error: [`Error::Unavailable`] (retryable) when the cluster, a node
/// or a slot cannot be reached or is failing over; [`Error::Backend`] for anything else.
pub(crate) fn from_redis(e: RedisError) -> Error {
    if is_retryable(&e) {
        Error::Unavailable(format!("redis cluster: {e}"))
    } else {
        Error::Backend(format!("redis: {e}"))
    }
}

fn is_retryable(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || matches!(
            e.kind(),
            ErrorKind::ClusterConnectionNotFound
                | ErrorKind::Server(
                    ServerErrorKind::TryAgain
                        | ServerErrorKind::ClusterDown
                        | ServerErrorKind::MasterDown
                        | ServerErrorKind::BusyLoading
                        | ServerErrorKind::ReadOnly
                        | ServerErrorKind::Moved
                        | ServerErrorKind::Ask
                )
        )
        || e.code().is_some_and(|c| RETRYABLE_CODES.contains(&c))
}

/// A reply that does not have the shape the scripts give: the server is not what we expect.
pub(crate) fn unexpected(what: &str, reply: &Value) -> Error {
    Error::Backend(format!("redis: unexpected reply to {what}: {reply:?}"))
}

/// The elements of an array reply.
pub(crate) fn array<'a>(what: &str, reply: &'a Value) -> Result<&'a [Value], Error> {
    match reply {
        Value::Array(items) => Ok(items),
        other => Err(unexpected(what, other)),
    }
}

/// The bytes of a string reply.
pub(crate) fn bytes<'a>(what: &str, reply: &'a Value) -> Result<&'a [u8], Error> {
    match reply {
        Value::BulkString(b) => Ok(b),
        Value::SimpleString(s) => Ok(s.as_bytes()),
        other => Err(unexpected(what, other)),
    }
}

/// A non-negative integer reply, given as an integer or as decimal text.
pub(crate) fn count(what: &str, reply: &Value) -> Result<u64, Error> {
    match reply {
        Value::Int(n) => u64::try_from(*n).map_err(|_| unexpected(what, reply)),
        Value::BulkString(b) => std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| unexpected(what, reply)),
        other => Err(unexpected(what, other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn check(e: RedisError, retryable: bool) {
        let mapped = from_redis(e);
        assert_eq!(mapped.is_retryable(), retryable, "{mapped}");
        if !retryable {
            assert!(matches!(mapped, Error::Backend(_)), "{mapped}");
        }
    }

    #[test]
    fn what_is_retryable() {
        let io = |k| RedisError::from(io::Error::new(k, "x"));
        check(io(io::ErrorKind::ConnectionRefused), true);
        check(io(io::ErrorKind::ConnectionReset), true);
        check(io(io::ErrorKind::TimedOut), true);
        check(io(io::ErrorKind::BrokenPipe), true);
        let server = |k: ServerErrorKind| RedisError::from((ErrorKind::Server(k), "x"));
        check(server(ServerErrorKind::ClusterDown), true);
        check(server(ServerErrorKind::TryAgain), true);
        check(server(ServerErrorKind::MasterDown), true);
        check(server(ServerErrorKind::BusyLoading), true);
        check(server(ServerErrorKind::ResponseError), false);
        check(server(ServerErrorKind::CrossSlot), false);
        check(server(ServerErrorKind::NoScript), false);
        check(RedisError::from((ErrorKind::Parse, "x")), false);
        check(
            RedisError::from((ErrorKind::AuthenticationFailed, "x")),
            false,
        );
    }

    #[test]
    fn replies_of_the_wrong_shape_are_errors_not_panics() {
        let nil = Value::Nil;
        assert!(array("t", &nil).is_err());
        assert!(bytes("t", &Value::Int(1)).is_err());
        assert!(count("t", &Value::Int(-1)).is_err());
        assert!(count("t", &Value::BulkString(b"12x".to_vec())).is_err());
        assert_eq!(count("t", &Value::BulkString(b"12".to_vec())), Ok(12));
        assert_eq!(count("t", &Value::Int(7)), Ok(7));
    }
}
