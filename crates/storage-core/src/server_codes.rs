//! The error codes and messages of the platforms' server APIs for game cloud data (behaviour
//! §5): WeChat's `storage.setUserStorage` / `removeUserStorage` and Douyin's
//! `set_user_storage` / `remove_user_storage`, which a game's server calls with the player's
//! session signature. One table, like [`crate::codes`] for the mini-program side.

use crate::dialect::Dialect;
use crate::error::{CloudRule, Error};

/// Why a server call failed.
#[derive(Debug, Clone, Copy)]
pub enum ServerFault<'a> {
    /// The access token names no game of this platform.
    AccessToken,
    /// `sig_method` is not `hmac_sha256`, the only method either platform takes.
    SigMethod,
    /// The player has no session, or the signature is not the body's HMAC-SHA256 under their
    /// session key.
    Signature,
    /// The body is not the JSON the API takes.
    Body,
    /// The store refused the call (a rule of behaviour §5) or failed.
    Store(&'a Error),
}

/// A failure as a platform's server reports it: `{errcode, errmsg}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// The platform's `errcode`.
    pub errcode: i64,
    /// The platform's `errmsg`.
    pub errmsg: &'static str,
}

/// What a row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    AccessToken,
    SigMethod,
    Signature,
    Body,
    Rule(CloudRule),
    /// Any failure of the store itself (a backend, a corrupt record).
    System,
}

/// (dialect, cause, errcode, errmsg). WeChat's codes are its documented ones (87016, 87018,
/// 87019; `setUserInteractiveData`'s 87081 and 87082) and its answer to a bad access token (40001), signature (87009) or body (47001); Douyin's are its documented
/// ones (40009, 40010, 40011, 60001), and its "any other code: a parameter error" is 40014.
/// Rules a server body cannot break the same way (an item that is not an object, an empty
/// list) are body errors.
#[rustfmt::skip]
const ROWS: &[(Dialect, Cause, i64, &str)] = &[
    (Dialect::Wx, Cause::AccessToken, 40001, "invalid credential, access_token is invalid or not latest"),
    (Dialect::Wx, Cause::SigMethod, 87009, "invalid signature: sig_method must be hmac_sha256"),
    (Dialect::Wx, Cause::Signature, 87009, "invalid signature"),
    (Dialect::Wx, Cause::Body, 47001, "data format error"),
    (Dialect::Wx, Cause::Rule(CloudRule::KeyValueTooLong), 87016, "some key-value in list meet length exceed"),
    (Dialect::Wx, Cause::Rule(CloudRule::TooManyPairs), 87018, "user storage key count exceed limit"),
    (Dialect::Wx, Cause::Rule(CloudRule::KeyTooLong), 87019, "some key in list meet length exceed"),
    (Dialect::Wx, Cause::Rule(CloudRule::InvalidLeaderboardValue), 47001, "data format error: invalid leaderboard value"),
    (Dialect::Wx, Cause::Rule(CloudRule::InvalidOpenid), 87081, "invalid openid"),
    (Dialect::Wx, Cause::Rule(CloudRule::InvalidInteractiveKey), 87082, "invalid key"),
    (Dialect::Wx, Cause::System, -1, "system error"),
    (Dialect::Tt, Cause::AccessToken, 40014, "bad params: invalid access_token"),
    (Dialect::Tt, Cause::SigMethod, 40014, "bad params: sig_method must be hmac_sha256"),
    (Dialect::Tt, Cause::Signature, 40014, "bad params: invalid signature"),
    (Dialect::Tt, Cause::Body, 40014, "bad params"),
    (Dialect::Tt, Cause::Rule(CloudRule::KeyTooLong), 40009, "key length exceeds 128 bytes"),
    (Dialect::Tt, Cause::Rule(CloudRule::KeyValueTooLong), 40010, "key and value length exceeds 1024 bytes"),
    (Dialect::Tt, Cause::Rule(CloudRule::InvalidLeaderboardValue), 40011, "invalid leaderboard value"),
    (Dialect::Tt, Cause::Rule(CloudRule::TooManyPairs), 60001, "user stores more than 128 pairs"),
    (Dialect::Tt, Cause::System, -1, "system error"),
];

/// How `dialect`'s server reports `fault`; `None` for a dialect without these server APIs.
///
/// ```
/// use storage_core::server_codes::{server_error, ServerFault};
/// use storage_core::{CloudRule, Dialect, Error};
/// let too_many = Error::Cloud(CloudRule::TooManyPairs);
/// assert_eq!(server_error(Dialect::Wx, ServerFault::Store(&too_many)).unwrap().errcode, 87018);
/// assert_eq!(server_error(Dialect::Tt, ServerFault::Store(&too_many)).unwrap().errcode, 60001);
/// assert_eq!(server_error(Dialect::Tt, ServerFault::Signature).unwrap().errcode, 40014);
/// assert_eq!(server_error(Dialect::My, ServerFault::Signature), None);
/// ```
pub fn server_error(dialect: Dialect, fault: ServerFault<'_>) -> Option<ServerError> {
    let cause = match fault {
        ServerFault::AccessToken => Cause::AccessToken,
        ServerFault::SigMethod => Cause::SigMethod,
        ServerFault::Signature => Cause::Signature,
        ServerFault::Body => Cause::Body,
        ServerFault::Store(Error::Cloud(rule)) => Cause::Rule(*rule),
        ServerFault::Store(_) => Cause::System,
    };
    let row = |cause| ROWS.iter().find(|r| r.0 == dialect && r.1 == cause);
    let found = match cause {
        // The other rules are about a body's shape (an empty list, an item that is no pair).
        Cause::Rule(_) => row(cause).or_else(|| row(Cause::Body)),
        _ => row(cause),
    }?;
    Some(ServerError {
        errcode: found.2,
        errmsg: found.3,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(dialect: Dialect, fault: ServerFault<'_>) -> Option<i64> {
        server_error(dialect, fault).map(|e| e.errcode)
    }

    fn rule(dialect: Dialect, rule: CloudRule) -> Option<i64> {
        code(dialect, ServerFault::Store(&Error::Cloud(rule)))
    }

    #[test]
    fn every_fault_has_a_code_in_both_server_dialects() {
        use CloudRule::*;
        let cases: &[(CloudRule, i64, i64)] = &[
            (KeyTooLong, 87019, 40009),
            (KeyValueTooLong, 87016, 40010),
            (TooManyPairs, 87018, 60001),
            (InvalidLeaderboardValue, 47001, 40011),
            (ListEmpty, 47001, 40014),
            (InvalidItem, 47001, 40014),
            (InvalidKeyList, 47001, 40014),
            (InvalidOpenid, 87081, 40014),
            (InvalidInteractiveKey, 87082, 40014),
        ];
        for &(r, wx, tt) in cases {
            assert_eq!(
                (rule(Dialect::Wx, r), rule(Dialect::Tt, r)),
                (Some(wx), Some(tt)),
                "{r:?}"
            );
        }
        let faults: &[(ServerFault<'_>, i64, i64)] = &[
            (ServerFault::AccessToken, 40001, 40014),
            (ServerFault::SigMethod, 87009, 40014),
            (ServerFault::Signature, 87009, 40014),
            (ServerFault::Body, 47001, 40014),
            (ServerFault::Store(&Error::Backend("disk".into())), -1, -1),
            (ServerFault::Store(&Error::Closed), -1, -1),
        ];
        for &(fault, wx, tt) in faults {
            assert_eq!(
                (code(Dialect::Wx, fault), code(Dialect::Tt, fault)),
                (Some(wx), Some(tt))
            );
        }
    }

    #[test]
    fn dialects_without_server_apis_have_no_codes() {
        for dialect in [Dialect::My, Dialect::Qq, Dialect::Swan] {
            assert_eq!(code(dialect, ServerFault::Body), None, "{dialect:?}");
        }
    }
}
