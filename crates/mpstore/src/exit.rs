//! The exit codes of the `mpstore` command line: one per kind of outcome a script tests for.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any other failure: the backend failed (I/O, a full disk), or an unexpected error |
//! | 2 | the command line itself is wrong (unknown command or flag; printed by the parser) |
//! | 3 | not found: a `get` of a key (local or cloud) that holds nothing |
//! | 4 | a limit was hit: entry too large, the 10 MB quota, the 128 pairs of a game, a cloud key or key + value too long |
//! | 5 | invalid input: empty or non-string key, a value that is not JSON, a bad id, a rule of the platform's parameters |
//! | 6 | corrupt: the store or a record failed to decode or authenticate (damaged, or moved between slots): when opening, in a host command, or a record read by a storage command (whose printed JSON is the platform's "internal error", as for a backend failure, which exits 1) |
//! | 7 | the store cannot be opened: wrong master key, unreadable key file, or the directory is in use |
//!
//! The platform-shaped result or error is printed as JSON on stdout either way; the exit code
//! classifies it, from the storage error the facade reported ([`code_of`] of the failure's
//! cause), so it tells apart what the platforms word alike.

use storage_core::{CloudRule, Error};

/// Success.
pub const OK: i32 = 0;
/// Any other failure.
pub const FAILURE: i32 = 1;
/// The command line is wrong (clap's own code for usage errors).
pub const USAGE: i32 = 2;
/// Not found.
pub const NOT_FOUND: i32 = 3;
/// A limit was hit (entry size, quota, pairs, lengths).
pub const LIMIT: i32 = 4;
/// Invalid input.
pub const INVALID: i32 = 5;
/// A corrupt record.
pub const CORRUPT: i32 = 6;
/// The store cannot be opened.
pub const CANNOT_OPEN: i32 = 7;

/// The exit-code table as `mpstore --help` prints it.
pub const HELP: &str = "\
Exit codes:
  0  success
  1  any other failure (backend I/O error, unexpected error)
  2  the command line is wrong (unknown command or flag)
  3  not found (get of a key that holds nothing)
  4  a limit was hit (entry too large, 10 MB quota, 128 pairs, cloud key or key+value too long)
  5  invalid input (empty or non-string key, value that is not JSON, bad id, bad parameter)
  6  corrupt store or record (opening, host and storage commands)
  7  the store cannot be opened (wrong master key, unreadable key file, directory in use)";

/// The exit code of a storage failure.
///
/// ```
/// use mpstore::exit::{code_of, LIMIT, NOT_FOUND};
/// use storage_core::Error;
/// assert_eq!(code_of(&Error::NotFound { key: "k".into() }), NOT_FOUND);
/// assert_eq!(code_of(&Error::QuotaExceeded { after: 11, limit: 10 }), LIMIT);
/// ```
pub fn code_of(err: &Error) -> i32 {
    match err {
        Error::NotFound { .. } => NOT_FOUND,
        Error::EntryTooLarge { .. } | Error::QuotaExceeded { .. } | Error::LimitExceeded { .. } => {
            LIMIT
        }
        Error::Cloud(
            CloudRule::KeyTooLong | CloudRule::KeyValueTooLong | CloudRule::TooManyPairs,
        ) => LIMIT,
        Error::EmptyKey
        | Error::WrongType { .. }
        | Error::InvalidParam(_)
        | Error::EncryptMismatch
        | Error::Cloud(_) => INVALID,
        Error::Corrupt(_) => CORRUPT,
        _ => FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage_core::JsType;

    fn check(err: Error, code: i32) {
        assert_eq!(code_of(&err), code, "{err:?}");
    }

    #[test]
    fn every_kind_of_failure_has_its_code() {
        check(Error::NotFound { key: "k".into() }, NOT_FOUND);
        check(Error::EntryTooLarge { size: 2, limit: 1 }, LIMIT);
        check(Error::QuotaExceeded { after: 2, limit: 1 }, LIMIT);
        check(CloudRule::TooManyPairs.into(), LIMIT);
        check(CloudRule::KeyTooLong.into(), LIMIT);
        check(CloudRule::KeyValueTooLong.into(), LIMIT);
        check(Error::EmptyKey, INVALID);
        check(
            Error::WrongType {
                param: "key".into(),
                expected: JsType::String,
                actual: JsType::Number,
            },
            INVALID,
        );
        check(Error::InvalidParam("x".into()), INVALID);
        check(Error::EncryptMismatch, INVALID);
        check(CloudRule::InvalidItem.into(), INVALID);
        check(CloudRule::NotOpenDataContext.into(), INVALID);
        check(Error::Corrupt("x".into()), CORRUPT);
        check(Error::Backend("disk".into()), FAILURE);
        check(Error::Unavailable("x".into()), FAILURE);
    }

    #[test]
    fn codes_are_distinct() {
        let mut all = [
            OK,
            FAILURE,
            USAGE,
            NOT_FOUND,
            LIMIT,
            INVALID,
            CORRUPT,
            CANNOT_OPEN,
        ];
        all.sort_unstable();
        assert!(all.windows(2).all(|w| w[0] != w[1]));
        for code in all {
            assert!(
                HELP.contains(&format!("  {code}  ")),
                "{code} missing from HELP"
            );
        }
    }
}
