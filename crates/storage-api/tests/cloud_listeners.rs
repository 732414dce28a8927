//! `wx.onInteractiveStorageModified` for Rust hosts: a player's listeners hear the key of each
//! successful `modifyFriendInteractiveStorage` of that player, after `success` and before
//! `complete`, from every facade of the store, and nothing else.

use std::sync::{Arc, Mutex};
use storage_api::cloud::{GameContext, InteractiveKey, ModifyFriendInteractiveStorageOption};
use storage_api::dispatch::{cloud, Api, Args};
use storage_api::Mpstore;
use storage_core::{block_on, Dialect, JsValue};

const GAME: &str = "game";

/// What happened, in order.
type Log = Arc<Mutex<Vec<String>>>;

/// A store where `GAME` has the interactive key '1' and ann and bob are friends.
fn world() -> Mpstore {
    let store = Mpstore::in_memory();
    let cloud = store.cloud();
    block_on(cloud.set_interactive_keys(GAME, &[InteractiveKey::new("1")])).unwrap();
    block_on(cloud.stored_relations().add_friendship(GAME, "ann", "bob")).unwrap();
    store
}

fn player(game: &str, openid: &str) -> GameContext {
    GameContext::new(game).logged_in(openid)
}

/// Registers a listener on `store` for `who` that logs `name:key`.
fn listen(store: &Mpstore, who: GameContext, name: &'static str, log: &Log) {
    let log = log.clone();
    store
        .mini_game(who)
        .wx()
        .on_interactive_storage_modified(move |key| {
            log.lock().unwrap().push(format!("{name}:{key}"))
        });
}

/// ann gives bob `key` from the open data context, with callbacks that log.
fn gift(store: &Mpstore, key: &str, log: &Log) {
    let (s, f, c) = (log.clone(), log.clone(), log.clone());
    let option = ModifyFriendInteractiveStorageOption::add(key, 1, "bob");
    store
        .mini_game(player(GAME, "ann").open_data())
        .wx()
        .modify_friend_interactive_storage(option)
        .success(move |_| s.lock().unwrap().push("success".into()))
        .fail(move |_| f.lock().unwrap().push("fail".into()))
        .complete(move |_| c.lock().unwrap().push("complete".into()))
        .wait();
}

fn logged(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

#[test]
fn a_success_calls_the_players_listeners_between_success_and_complete() {
    let (store, log) = (world(), Log::default());
    listen(&store, player(GAME, "ann"), "main", &log);
    listen(&store, player(GAME, "ann").open_data(), "open", &log);
    gift(&store, "1", &log);
    assert_eq!(logged(&log), ["success", "main:1", "open:1", "complete"]);
    // A failure (a key the game did not configure) calls none.
    gift(&store, "2", &log);
    assert_eq!(logged(&log), ["fail", "complete"]);
}

#[test]
fn only_the_modifying_players_listeners_in_that_game_and_store_hear_it() {
    let (store, log) = (world(), Log::default());
    listen(&store, player(GAME, "bob"), "bob", &log);
    listen(&store, player("other-game", "ann"), "other-game", &log);
    listen(
        &Mpstore::in_memory(),
        player(GAME, "ann"),
        "other-store",
        &log,
    );
    listen(&store, GameContext::new(GAME), "nobody", &log);
    // A clone of the store and a Cloud made apart share its listeners.
    listen(&store.clone(), player(GAME, "ann"), "clone", &log);
    gift(&store, "1", &log);
    assert_eq!(logged(&log), ["success", "clone:1", "complete"]);
}

#[test]
fn the_promise_form_and_a_call_by_name_call_the_listeners_before_they_answer() {
    let (store, log) = (world(), Log::default());
    listen(&store, player(GAME, "ann"), "ann", &log);
    let wx = store.mini_game(player(GAME, "ann").open_data()).wx();
    let option = ModifyFriendInteractiveStorageOption::add("1", 1, "bob");
    block_on(wx.modify_friend_interactive_storage(option)).unwrap();
    assert_eq!(logged(&log), ["ann:1"]);

    let game = store.cloud().mini_game(player(GAME, "ann").open_data());
    let api = Api::find(Dialect::Wx, "modifyFriendInteractiveStorage").unwrap();
    let options: JsValue = serde_json::from_value(
        serde_json::json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"}),
    )
    .unwrap();
    cloud::call(&game, api, Ok(Args(vec![options]))).unwrap();
    assert_eq!(logged(&log), ["ann:1"]);
}

#[test]
fn a_listener_may_register_another_while_it_is_called() {
    let (store, log) = (world(), Log::default());
    let (inner_store, inner_log) = (store.clone(), log.clone());
    store
        .mini_game(player(GAME, "ann"))
        .wx()
        .on_interactive_storage_modified(move |_| {
            listen(&inner_store, player(GAME, "ann"), "late", &inner_log)
        });
    gift(&store, "1", &log);
    assert_eq!(logged(&log), ["success", "complete"]);
    gift(&store, "1", &log);
    assert_eq!(logged(&log), ["success", "late:1", "complete"]);
}
