//! Property-testing a host against the platform rules: random call sequences run against the
//! host's own storage code and against storage-core's model of the rules (the oracle), which
//! must agree on every answer, error and listing.
//!
//! The "host" here is a simulator's adapter over `storage_api::Wx`, answering its JavaScript
//! side with a value or WeChat's `errMsg`; put your own storage code in its place.
//!
//! `cargo run -p storage-api --example property_test_a_host`

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use storage_api::{Mpstore, Wx};
use storage_core::testkit::{model::StoreModel, strategies};
use storage_core::{JsValue, Namespace, Policy, Scope};

/// The code under test: what a simulator hands its JavaScript side.
struct Simulator {
    wx: Wx,
}

impl Simulator {
    fn new() -> Self {
        let store = Mpstore::in_memory();
        // Values exactly as given, as the model keeps them (a device would turn a Date inside
        // an Object into its text).
        let program = store.mini_program("user", "app", Scope::App).unwrap();
        Simulator {
            wx: program.with_exact_values().wx(),
        }
    }

    fn set(&self, key: &str, value: JsValue) -> Result<(), String> {
        self.wx.set_storage_sync(key, value).map_err(|e| e.err_msg)
    }

    fn get(&self, key: &str) -> Result<JsValue, String> {
        self.wx.get_storage_sync(key).map_err(|e| e.err_msg)
    }

    fn remove(&self, key: &str) -> Result<(), String> {
        self.wx.remove_storage_sync(key).map_err(|e| e.err_msg)
    }

    fn keys(&self) -> Vec<String> {
        self.wx.get_storage_info_sync().unwrap().keys
    }
}

#[derive(Debug, Clone)]
enum Call {
    Set(String, JsValue),
    Get(String),
    Remove(String),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        (strategies::key(), strategies::js_value(64)).prop_map(|(k, v)| Call::Set(k, v)),
        strategies::key().prop_map(Call::Get),
        strategies::key().prop_map(Call::Remove),
    ]
}

/// Runs `calls` on a fresh simulator and on the model; every answer must agree.
fn agrees(calls: Vec<Call>) -> Result<(), TestCaseError> {
    let host = Simulator::new();
    let mut model = StoreModel::default();
    let ns = Namespace::local("user", "app", Scope::App).unwrap();
    for call in calls {
        match call {
            Call::Set(key, value) => {
                let want = model.set_all(&ns, &Policy::WX, &[(key.clone(), value.clone())], false);
                let got = host.set(&key, value);
                prop_assert_eq!(
                    got.is_ok(),
                    want.is_ok(),
                    "set {:?}: {:?} vs {:?}",
                    key,
                    got,
                    want
                );
            }
            Call::Get(key) => match (model.get(&ns, &key, false), host.get(&key)) {
                // WeChat's Sync read answers "" for a missing key.
                (Ok(want), Ok(got)) => prop_assert_eq!(got, want.unwrap_or_else(|| "".into())),
                (Err(_), Err(_)) => {}
                (want, got) => prop_assert!(false, "get {:?}: {:?} vs {:?}", key, got, want),
            },
            Call::Remove(key) => {
                let want = model.remove(&ns, &key);
                let got = host.remove(&key);
                prop_assert_eq!(got.is_ok(), want.is_ok(), "remove {:?}", key);
            }
        }
    }
    // Keys in insertion order, as the platforms list them.
    prop_assert_eq!(host.keys(), model.listing(&ns).0);
    Ok(())
}

fn main() {
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    let calls = proptest::collection::vec(call(), 1..40);
    match runner.run(&calls, agrees) {
        Ok(()) => println!("the simulator agrees with the platform rules in 128 random sequences"),
        Err(e) => {
            eprintln!("the simulator disagrees with the platform rules: {e}");
            std::process::exit(1);
        }
    }
}
