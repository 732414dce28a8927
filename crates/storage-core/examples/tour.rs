//! A tour of the engine: each seed's scenario, and the limits being hit, per dialect.
//!
//! `cargo run -p storage-core --example tour`

use storage_core::codes::{platform_error, ApiKind};
use storage_core::{
    block_on, Dialect, Error, JsObject, JsValue, MemoryBackend, Namespace, Scope, SetOptions, Store,
};

fn main() {
    let store = Store::new(MemoryBackend::new());
    for dialect in Dialect::ALL {
        let policy = dialect.policy();
        let ns = Namespace::local("tour-user", format!("{}-app", dialect.name()), Scope::App)
            .expect("valid ids");
        let say = |api: &str, r: Result<String, Error>| match r {
            Ok(s) => println!("  {}.{api}: ok {s}", dialect.name()),
            Err(e) => {
                let p = platform_error(dialect, ApiKind::LocalWrite, &e);
                println!(
                    "  {}.{api}: fail {:?} {}",
                    dialect.name(),
                    p.code,
                    p.message
                );
            }
        };
        println!("{}:", dialect.name());
        let city: JsObject = [
            ("cityName", "杭州"),
            ("adCode", "330100"),
            ("spell", "hangzhou"),
        ]
        .into_iter()
        .collect();
        let set = |key: &str, v: &JsValue| {
            block_on(store.set(&ns, policy, key, v, SetOptions::default()))
        };
        say(
            "setStorage currentCity",
            set("currentCity", &city.into()).map(|_| String::new()),
        );
        let got = block_on(store.get(&ns, "currentCity", false));
        say(
            "getStorage currentCity",
            got.map(|v| serde_json::to_string(&v).unwrap_or_default()),
        );
        let big = JsValue::from("x".repeat(policy.entry_limit as usize + 1));
        say(
            "setStorage (one unit over the entry limit)",
            set("big", &big).map(|_| String::new()),
        );
        let chunk = JsValue::from("x".repeat(policy.entry_limit as usize - 16));
        let mut n = 0;
        let full = loop {
            match set(&format!("chunk{n}"), &chunk) {
                Ok(()) => n += 1,
                Err(e) => break Err(e),
            }
        };
        say(&format!("setStorage (after {n} chunks)"), full);
        let info = block_on(store.info(&ns, policy));
        say(
            "getStorageInfo",
            info.map(|i| {
                format!(
                    "{} keys, {} KB of {} KB",
                    i.keys.len(),
                    i.current_size,
                    i.limit_size
                )
            }),
        );
    }
}
