//! The wx / my / tt storage facades of mpstore: callbacks, Promises and Sync forms.

mod call;
mod local;
mod mini_program;
mod mpstore;
mod my;
mod options;
mod results;
mod tt;
mod wx;

pub use call::{Call, Callbacks, CompleteFn, FailFn, SuccessFn, WithCallbacks};
pub use mini_program::MiniProgram;
pub use mpstore::{Mpstore, DATA_DIR, KEY_FILE};
pub use my::My;
pub use options::{GetStorageOption, KvItem, SetStorageOption};
pub use results::{
    BatchGetStorageResult, GeneralResult, GetStorageInfoResult, GetStorageResult, MyData, MyError,
    MySuccess, MySync, MySyncFailure, StorageInfo, TtError, WxError,
};
pub use tt::Tt;
pub use wx::Wx;
