//! Isolation between users, apps, plugins and web-views (behaviour §2), and the host-level
//! operations of the seeds' clearing rules.

use crate::common::*;
use serde_json::json;
use storage_api::{MiniProgram, Mpstore};
use storage_core::{block_on, Dialect, Namespace, Scope};

fn at(store: &Mpstore, user: &str, app: &str, scope: Scope) -> MiniProgram {
    store.mini_program(user, app, scope).unwrap()
}

/// Every pair of these namespaces must be isolated.
fn neighbours(store: &Mpstore) -> Vec<MiniProgram> {
    vec![
        at(store, "u1", "app", Scope::App),
        at(store, "u2", "app", Scope::App),
        at(store, "u1", "app2", Scope::App),
        at(store, "u1", "app", Scope::WebView),
        at(store, "u1", "app", Scope::Plugin("p1".into())),
        at(store, "u1", "app", Scope::Plugin("p2".into())),
        at(store, "u1", "app2", Scope::Plugin("p1".into())),
        // Ids that would collide under a naive concatenation.
        at(store, "u1a", "pp", Scope::App),
        at(store, "u1:", "app", Scope::App),
    ]
}

/// Writing, clearing and removing in one namespace is invisible to each other one.
fn isolated(d: Dialect) {
    let store = Mpstore::in_memory();
    let all = neighbours(&store);
    for (i, mp) in all.iter().enumerate() {
        set_sync(mp, d, "shared", i as i32);
        set_sync(mp, d, format!("own{i}"), "x".repeat(i));
    }
    for (i, mp) in all.iter().enumerate() {
        assert_eq!(value_sync(mp, d, "shared"), (i as i32).into(), "{d:?} #{i}");
        assert_eq!(
            storage_info(mp, d).keys,
            ["shared".to_string(), format!("own{i}")],
            "{d:?} #{i}"
        );
    }
    // Clearing the web-view and removing from a plugin leave every other namespace as it was.
    assert_eq!(clear_sync(&all[3], d)["throw"], json!(null));
    remove_sync(&all[4], d, "shared");
    for (i, mp) in all.iter().enumerate() {
        let expected_keys = match i {
            3 => vec![],
            4 => vec![format!("own{i}")],
            _ => vec!["shared".to_string(), format!("own{i}")],
        };
        assert_eq!(storage_info(mp, d).keys, expected_keys, "{d:?} #{i}");
    }
}

#[test]
fn namespaces_are_isolated_in_every_dialect() {
    for d in crate::common::TYPED {
        isolated(d);
    }
}

#[test]
fn quotas_are_per_namespace() {
    let store = Mpstore::in_memory();
    let app = at(&store, "u", "app", Scope::App);
    fill(&app, My, 10_485_760);
    assert_eq!(
        set_sync(&app, My, "more", "x")["return"]["error"],
        json!(12)
    );
    for mp in [
        app.web_view(),
        app.plugin("p").unwrap(),
        at(&store, "u", "other", Scope::App),
    ] {
        assert_eq!(
            set_sync(&mp, My, "more", "x"),
            json!({"return": {"success": true}})
        );
        assert_eq!(storage_info(&mp, My).current_size, 1);
    }
}

#[test]
fn remove_app_drops_every_scope_of_that_app_for_that_user_only() {
    let store = Mpstore::in_memory();
    let all = neighbours(&store);
    for mp in &all {
        set_sync(mp, Tt, "k", 1);
    }
    assert_eq!(block_on(store.remove_app("u1", "app")).unwrap(), 4);
    for (i, mp) in all.iter().enumerate() {
        let gone = mp.namespace().user() == "u1" && mp.namespace().app() == "app";
        let expected = if gone {
            json!({"return": ""})
        } else {
            json!({"return": 1})
        };
        assert_eq!(get_sync(mp, Tt, "k"), expected, "#{i}");
    }
    assert_eq!(block_on(store.remove_app("u1", "app")).unwrap(), 0);
}

#[test]
fn remove_user_drops_every_app_of_that_user_only() {
    let store = Mpstore::in_memory();
    let all = neighbours(&store);
    for mp in &all {
        set_sync(mp, Wx, "k", 1);
    }
    assert_eq!(block_on(store.remove_user("u1")).unwrap(), 6);
    for (i, mp) in all.iter().enumerate() {
        let gone = mp.namespace().user() == "u1";
        assert_eq!(storage_info(mp, Wx).keys.is_empty(), gone, "#{i}");
    }
    // The app can write again afterwards, from an empty namespace.
    set_sync(&all[0], Wx, "again", 1);
    assert_eq!(storage_info(&all[0], Wx).keys, ["again"]);
}

#[test]
fn namespaces_are_listed_with_their_usage() {
    let store = Mpstore::in_memory();
    let a = at(&store, "u", "app", Scope::App);
    let p = a.plugin("p").unwrap();
    set_sync(&a, Wx, "k", "12345");
    set_sync(&a, Wx, "k2", "1");
    set_sync(&p, My, "杭", "😀");
    let empty = at(&store, "u", "empty", Scope::App);
    set_sync(&empty, Wx, "k", 1);
    clear_sync(&empty, Wx);
    let mut listed: Vec<(Namespace, u64, u64)> = block_on(store.namespaces())
        .unwrap()
        .into_iter()
        .map(|n| (n.namespace, n.usage.bytes, n.usage.entries))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            (Namespace::local("u", "app", Scope::App).unwrap(), 9, 2),
            (
                Namespace::local("u", "app", Scope::Plugin("p".into())).unwrap(),
                3,
                1
            ),
        ]
    );
}
