//! The local-storage APIs WeChat's [`crate::Wx`] and Douyin's [`crate::Tt`] share: the same
//! shapes (positional Sync forms, `{errMsg}` successes, `""` for a missing key in a Sync read),
//! generic over the dialect's error `E`. Each facade passes its own [`Policy`]; Douyin, which
//! ignores the `encrypt` option, clears it before calling. A facade's own rows (WeChat's batch
//! APIs) stay in its module.

use crate::call::Call;
use crate::local::{done, or_empty_string, sync, Local, Report};
use crate::options::{GetStorageOption, SetStorageOption};
use crate::results::{GeneralResult, GetStorageInfoResult, GetStorageResult, StorageInfo};
use storage_core::codes::ApiKind;
use storage_core::{JsValue, Policy};

/// `setStorage({key, data, encrypt})`.
pub(crate) fn set_storage<E: Report>(
    local: &Local,
    policy: &Policy,
    option: SetStorageOption,
) -> Call<GeneralResult, E> {
    const API: &str = "setStorage";
    let policy = local.policy(policy);
    local.call(
        API,
        ApiKind::LocalWrite,
        move |l| async move {
            l.set(&policy, &option.key, option.data, option.encrypt)
                .await
        },
        |()| GeneralResult::ok(API),
    )
}

/// `getStorage({key, encrypt})`: a missing key fails.
pub(crate) fn get_storage<E: Report>(
    local: &Local,
    option: GetStorageOption,
) -> Call<GetStorageResult, E> {
    const API: &str = "getStorage";
    local.call(
        API,
        ApiKind::LocalRead,
        move |l| async move { l.get_found(&option.key, option.encrypt).await },
        |data| GetStorageResult {
            data,
            err_msg: GeneralResult::ok(API).err_msg,
        },
    )
}

/// `removeStorage({key})`.
pub(crate) fn remove_storage<E: Report>(local: &Local, key: JsValue) -> Call<GeneralResult, E> {
    const API: &str = "removeStorage";
    local.call(
        API,
        ApiKind::LocalWrite,
        move |l| async move { l.remove(&key).await },
        |()| GeneralResult::ok(API),
    )
}

/// `clearStorage()`.
pub(crate) fn clear_storage<E: Report>(local: &Local) -> Call<GeneralResult, E> {
    const API: &str = "clearStorage";
    local.call(
        API,
        ApiKind::LocalWrite,
        |l| async move { l.clear().await },
        |()| GeneralResult::ok(API),
    )
}

/// `getStorageInfo()`.
pub(crate) fn get_storage_info<E: Report>(
    local: &Local,
    policy: &Policy,
) -> Call<GetStorageInfoResult, E> {
    const API: &str = "getStorageInfo";
    let policy = local.policy(policy);
    local.call(
        API,
        ApiKind::LocalRead,
        move |l| async move { l.info(&policy).await },
        |info| GetStorageInfoResult::ok(info, API),
    )
}

/// `setStorageSync(key, data)`: the Sync form has no `encrypt`.
pub(crate) fn set_storage_sync<E: Report>(
    local: &Local,
    policy: &Policy,
    option: SetStorageOption,
) -> Result<(), E> {
    done(
        "setStorageSync",
        ApiKind::LocalWrite,
        local.set_blocking(&local.policy(policy), &option.key, option.data),
    )
}

/// `getStorageSync(key)`: the value, or `""` for a missing key.
pub(crate) fn get_storage_sync<E: Report>(local: &Local, key: JsValue) -> Result<JsValue, E> {
    sync("getStorageSync", ApiKind::LocalRead, async {
        local.get(&key, false).await.map(or_empty_string)
    })
}

/// `removeStorageSync(key)`.
pub(crate) fn remove_storage_sync<E: Report>(local: &Local, key: JsValue) -> Result<(), E> {
    done(
        "removeStorageSync",
        ApiKind::LocalWrite,
        local.remove_blocking(&key),
    )
}

/// `clearStorageSync()`.
pub(crate) fn clear_storage_sync<E: Report>(local: &Local) -> Result<(), E> {
    sync("clearStorageSync", ApiKind::LocalWrite, local.clear())
}

/// `getStorageInfoSync()`.
pub(crate) fn get_storage_info_sync<E: Report>(
    local: &Local,
    policy: &Policy,
) -> Result<StorageInfo, E> {
    let policy = local.policy(policy);
    sync(
        "getStorageInfoSync",
        ApiKind::LocalRead,
        local.info(&policy),
    )
}
