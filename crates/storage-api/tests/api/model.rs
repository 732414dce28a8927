//! Random sequences of calls in every calling style, against a simple model: an ordered list of
//! (key, value). Checks overwrite, insertion order, remove, clear, missing keys and empty keys
//! through each dialect's own shapes, whatever style each call uses.

use crate::common::*;
use proptest::prelude::*;
use std::sync::{Arc, Mutex};
use storage_api::{Call, MiniProgram};
use storage_core::testkit::strategies::js_value;
use storage_core::{block_on, Dialect, JsValue};

#[derive(Debug, Clone, Copy)]
enum Style {
    Promise,
    Callbacks,
    Sync,
}

#[derive(Debug, Clone)]
enum Step {
    Set(String, JsValue),
    Get(String),
    Remove(String),
    Clear,
    Info,
}

/// What a call showed, reduced to what the model predicts.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Done,
    Value(JsValue),
    NotFound,
    Keys(Vec<String>),
    Failed,
}

fn step() -> impl Strategy<Value = Step> {
    let key = prop_oneof![Just(String::new()), "[abc]{1,2}".prop_map(String::from)];
    prop_oneof![
        4 => (key.clone(), js_value(6)).prop_map(|(k, v)| Step::Set(k, v)),
        3 => key.clone().prop_map(Step::Get),
        2 => key.prop_map(Step::Remove),
        1 => Just(Step::Clear),
        2 => Just(Step::Info),
    ]
}

fn style() -> impl Strategy<Value = Style> {
    prop_oneof![
        Just(Style::Promise),
        Just(Style::Callbacks),
        Just(Style::Sync)
    ]
}

/// What the callbacks saw, in order.
type Log<S, F> = Arc<Mutex<Vec<(&'static str, Result<S, F>)>>>;

/// Awaits `call` in `style` (Promise or callbacks; callbacks must run exactly once: one of
/// success / fail, then complete with the same outcome).
fn outcome<S, F>(call: Call<S, F>, style: Style) -> Result<S, F>
where
    S: Clone + Send + PartialEq + std::fmt::Debug + 'static,
    F: Clone + Send + PartialEq + std::fmt::Debug + 'static,
{
    match style {
        Style::Callbacks => {
            let log: Log<S, F> = Arc::default();
            let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
            block_on(
                call.success(move |s| l1.lock().unwrap().push(("success", Ok(s))))
                    .fail(move |f| l2.lock().unwrap().push(("fail", Err(f))))
                    .complete(move |r| l3.lock().unwrap().push(("complete", r))),
            );
            let log = log.lock().unwrap().clone();
            assert_eq!(log.len(), 2, "{log:?}");
            assert_eq!(log[1].0, "complete");
            assert_eq!(log[0].1, log[1].1);
            assert_eq!(log[0].0, if log[0].1.is_ok() { "success" } else { "fail" });
            log[0].1.clone()
        }
        _ => block_on(call),
    }
}

fn done<S, F>(r: Result<S, F>) -> Seen {
    if r.is_ok() {
        Seen::Done
    } else {
        Seen::Failed
    }
}

/// Runs `step` through `d`'s facade in `style`.
fn run(mp: &MiniProgram, d: Dialect, style: Style, step: &Step) -> Seen {
    let sync = matches!(style, Style::Sync);
    match (d, step) {
        (Wx, Step::Set(k, v)) if sync => done(mp.wx().set_storage_sync(k.as_str(), v.clone())),
        (Wx, Step::Set(k, v)) => done(outcome(mp.wx().set_storage(k.as_str(), v.clone()), style)),
        (Wx, Step::Get(k)) if sync => mp
            .wx()
            .get_storage_sync(k.as_str())
            .map_or(Seen::Failed, Seen::Value),
        (Wx, Step::Get(k)) => match outcome(mp.wx().get_storage(k.as_str()), style) {
            Ok(r) => Seen::Value(r.data),
            Err(e) if e.err_msg == "getStorage:fail data not found" => Seen::NotFound,
            Err(_) => Seen::Failed,
        },
        (Wx, Step::Remove(k)) if sync => done(mp.wx().remove_storage_sync(k.as_str())),
        (Wx, Step::Remove(k)) => done(outcome(mp.wx().remove_storage(k.as_str()), style)),
        (Wx, Step::Clear) if sync => done(mp.wx().clear_storage_sync()),
        (Wx, Step::Clear) => done(outcome(mp.wx().clear_storage(), style)),
        (Wx, Step::Info) if sync => Seen::Keys(mp.wx().get_storage_info_sync().unwrap().keys),
        (Wx, Step::Info) => Seen::Keys(outcome(mp.wx().get_storage_info(), style).unwrap().keys),

        (My, Step::Set(k, v)) if sync => done(
            mp.my()
                .set_storage_sync(k.as_str(), v.clone())
                .into_result(),
        ),
        (My, Step::Set(k, v)) => done(outcome(mp.my().set_storage(k.as_str(), v.clone()), style)),
        (My, Step::Get(k)) if sync => mp
            .my()
            .get_storage_sync(k.as_str())
            .into_result()
            .map_or(Seen::Failed, |r| Seen::Value(r.data)),
        (My, Step::Get(k)) => outcome(mp.my().get_storage(k.as_str()), style)
            .map_or(Seen::Failed, |r| Seen::Value(r.data)),
        (My, Step::Remove(k)) if sync => {
            done(mp.my().remove_storage_sync(k.as_str()).into_result())
        }
        (My, Step::Remove(k)) => done(outcome(mp.my().remove_storage(k.as_str()), style)),
        (My, Step::Clear) if sync => done(mp.my().clear_storage_sync().into_result()),
        (My, Step::Clear) => done(outcome(mp.my().clear_storage(), style)),
        (My, Step::Info) if sync => {
            Seen::Keys(mp.my().get_storage_info_sync().into_result().unwrap().keys)
        }
        (My, Step::Info) => Seen::Keys(outcome(mp.my().get_storage_info(), style).unwrap().keys),

        (Tt, Step::Set(k, v)) if sync => done(mp.tt().set_storage_sync(k.as_str(), v.clone())),
        (Tt, Step::Set(k, v)) => done(outcome(mp.tt().set_storage(k.as_str(), v.clone()), style)),
        (Tt, Step::Get(k)) if sync => mp
            .tt()
            .get_storage_sync(k.as_str())
            .map_or(Seen::Failed, Seen::Value),
        (Tt, Step::Get(k)) => match outcome(mp.tt().get_storage(k.as_str()), style) {
            Ok(r) => Seen::Value(r.data),
            Err(e) if e.err_no == 21101 => Seen::NotFound,
            Err(_) => Seen::Failed,
        },
        (Tt, Step::Remove(k)) if sync => done(mp.tt().remove_storage_sync(k.as_str())),
        (Tt, Step::Remove(k)) => done(outcome(mp.tt().remove_storage(k.as_str()), style)),
        (Tt, Step::Clear) if sync => done(mp.tt().clear_storage_sync()),
        (Tt, Step::Clear) => done(outcome(mp.tt().clear_storage(), style)),
        (Tt, Step::Info) if sync => Seen::Keys(mp.tt().get_storage_info_sync().unwrap().keys),
        (Tt, Step::Info) => Seen::Keys(outcome(mp.tt().get_storage_info(), style).unwrap().keys),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// What the model predicts, and its new state.
fn predict(model: &mut Vec<(String, JsValue)>, d: Dialect, style: Style, step: &Step) -> Seen {
    let empty_key =
        matches!(step, Step::Set(k, _) | Step::Get(k) | Step::Remove(k) if k.is_empty());
    if empty_key {
        return Seen::Failed;
    }
    match step {
        Step::Set(k, v) => {
            // The value as the platform stores it (its JSON round trip, tested in values.rs).
            let v = d.spec().values.stored(v.clone());
            match model.iter_mut().find(|(mk, _)| mk == k) {
                Some(slot) => slot.1 = v,
                None => model.push((k.clone(), v)),
            }
            Seen::Done
        }
        Step::Get(k) => match model.iter().find(|(mk, _)| mk == k) {
            Some((_, v)) => Seen::Value(v.clone()),
            None => match (d, style) {
                (My, _) => Seen::Value(JsValue::Null),
                (_, Style::Sync) => Seen::Value(JsValue::from("")),
                _ => Seen::NotFound,
            },
        },
        Step::Remove(k) => {
            model.retain(|(mk, _)| mk != k);
            Seen::Done
        }
        Step::Clear => {
            model.clear();
            Seen::Done
        }
        Step::Info => Seen::Keys(model.iter().map(|(k, _)| k.clone()).collect()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn facades_match_the_model(
        d in prop_oneof![Just(Wx), Just(My), Just(Tt)],
        steps in proptest::collection::vec((style(), step()), 1..40),
    ) {
        let mp = fresh();
        let mut model = Vec::new();
        for (i, (style, step)) in steps.iter().enumerate() {
            let expected = predict(&mut model, d, *style, step);
            let seen = run(&mp, d, *style, step);
            prop_assert_eq!(seen, expected, "{:?} step {} {:?} {:?}", d, i, style, step);
        }
    }
}
