//! The local-storage APIs by name: each call is served from its dialect's specification
//! ([`storage_core::dialect::Spec`]), in the platform's exact shape.

use super::outcome::Outcome;
use super::{Api, Args, Family, LoneSurrogate, Refusal};
use crate::MiniProgram;
use storage_core::Error;

/// Runs `api(args)` on the mini-program `mp`; refused when `api` is not a local-storage API.
pub fn call(
    mp: &MiniProgram,
    api: Api,
    args: Result<Args, LoneSurrogate>,
) -> Result<Outcome, Refusal> {
    if api.family() != Family::Local {
        return Err(Refusal::new(
            "bad_context",
            "cloud APIs run in a game context: {\"game\", \"openid\", \"context\"}",
        ));
    }
    match args {
        Ok(args) => Ok(super::generic::call(mp, api, &args)),
        // Behaviour §1: a lone surrogate is the dialect's parameter error, never stored.
        Err(LoneSurrogate) => {
            let err = Error::InvalidParam("string holds a lone UTF-16 surrogate".into());
            Ok(failure(api, &err))
        }
    }
}

/// How `api` reports `err` when the arguments could not even be handed to the engine (a lone
/// surrogate, a value JavaScript could not convert, a store that failed outside any call), in
/// the dialect's shape, from the one table of storage-core.
pub fn failure(api: Api, err: &Error) -> Outcome {
    super::generic::failure(api, err)
}
