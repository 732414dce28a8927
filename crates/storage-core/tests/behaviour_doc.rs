//! `docs/behaviour.md` kept true: its checked tables (each after a `<!-- checked: NAME -->` line)
//! are compared cell by cell with the dialects' specs and the one error table.

use storage_core::codes::{platform_error_in, ApiKind};
use storage_core::dialect::{MissingKey, Shape, Spec, SyncFailure};
use storage_core::policy::{EntryMeasure, Unit};
use storage_core::server_codes::{server_error, ServerFault};
use storage_core::{CloudRule, Dialect, Error, JsType, Values};

fn document() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/behaviour.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The body rows of the table after `<!-- checked: NAME -->`, as trimmed cells with one pair of
/// enclosing backticks removed.
fn table(doc: &str, name: &str) -> Vec<Vec<String>> {
    let marker = format!("<!-- checked: {name} -->");
    let start = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} in docs/behaviour.md"));
    let rows: Vec<Vec<String>> = doc[start + marker.len()..]
        .lines()
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header and its separator
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(cell)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!rows.is_empty(), "the {name} table has no rows");
    rows
}

fn cell(text: &str) -> String {
    let t = text.trim();
    match t.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
        Some(inner) if !inner.contains('`') => inner.to_owned(),
        _ => t.to_owned(),
    }
}

fn dialect(name: &str) -> Dialect {
    name.parse()
        .unwrap_or_else(|_| panic!("unknown dialect {name:?}"))
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// One row of the forms table, as the spec says it should read.
fn forms_row(spec: &Spec) -> Vec<String> {
    let failures = match spec.shape {
        Shape::ErrMsg { code } => format!("errMsg + `{code}`"),
        Shape::Alipay => "Alipay".into(),
    };
    let sync_failure = match spec.sync_failure {
        SyncFailure::Throw => "throws",
        SyncFailure::ReturnError => "returns Error",
        SyncFailure::ReturnObject => "returns object",
    };
    let missing = match spec.missing_key {
        MissingKey::Fail => "fails",
        MissingKey::Empty => "data: \"\"",
        MissingKey::Null => "data: null",
    };
    let values = match spec.values {
        Values::Exact => "exact",
        Values::JsonInside => "JSON inside",
        Values::Json => "JSON",
    };
    [
        spec.name,
        spec.object,
        &failures,
        if spec.sync_object {
            "object"
        } else {
            "positional"
        },
        sync_failure,
        missing,
        yes_no(spec.data_optional),
        yes_no(spec.batch),
        values,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The table's rows name every dialect once, in the order of `Dialect::ALL`.
fn one_row_per_dialect(rows: &[Vec<String>]) {
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let expected: Vec<&str> = Dialect::ALL.iter().map(|d| d.name()).collect();
    assert_eq!(
        names, expected,
        "one row per dialect, in the order of Dialect::ALL"
    );
}

#[test]
fn the_forms_table_is_the_specs() {
    let rows = table(&document(), "forms");
    one_row_per_dialect(&rows);
    for row in &rows {
        assert_eq!(
            row,
            &forms_row(dialect(&row[0]).spec()),
            "forms row of {}",
            row[0]
        );
    }
}

fn number(text: &str) -> u64 {
    text.replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {text:?}"))
}

#[test]
fn the_limits_table_is_the_policies() {
    let rows = table(&document(), "limits");
    one_row_per_dialect(&rows);
    for row in &rows {
        let p = dialect(&row[0]).policy();
        let unit = match p.unit {
            Unit::Utf16 => "UTF-16",
            Unit::Utf8 => "UTF-8",
        };
        let entry_limit = match p.entry_limit {
            u64::MAX => "none".to_owned(),
            n => n.to_string(),
        };
        let measure = match p.entry_measure {
            EntryMeasure::KeyAndValue => "key + value",
            EntryMeasure::ValueOnly => "value",
        };
        let refused = if p.refuse_at_quota {
            "reaches it"
        } else {
            "passes it"
        };
        let encrypt = match p.encrypt_factor {
            Some((num, den)) => format!("{}×", num as f64 / den as f64),
            None => "—".to_owned(),
        };
        let doc_limit = match row[2].as_str() {
            "none" => "none".to_owned(),
            n => number(n).to_string(),
        };
        let got = (
            row[1].as_str(),
            doc_limit,
            row[3].as_str(),
            number(&row[4]),
            row[5].as_str(),
            number(&row[6]),
            row[7].as_str(),
        );
        let want = (
            unit,
            entry_limit,
            measure,
            p.quota,
            refused,
            p.limit_size_kb,
            encrypt.as_str(),
        );
        assert_eq!(got, want, "limits row of {}", row[0]);
    }
}

/// The error a row's failure stands for, as the engine raises it.
fn failures(case: &str) -> Vec<Error> {
    match case {
        "empty key" => vec![Error::EmptyKey],
        "wrong type" => vec![Error::WrongType {
            param: "key".into(),
            expected: JsType::String,
            actual: JsType::Number,
        }],
        "entry too large" => vec![Error::EntryTooLarge { size: 2, limit: 1 }],
        "quota reached" => vec![Error::QuotaExceeded { after: 2, limit: 1 }],
        "missing key" => vec![Error::NotFound { key: KEY.into() }],
        // A failing backend and a damaged record are reported alike.
        "backend failure" => vec![
            Error::Backend("disk full".into()),
            Error::Corrupt("bad tag".into()),
        ],
        other => panic!("unknown failure {other:?} in the error table"),
    }
}

/// The key a missing-key row's `<key>` stands for.
const KEY: &str = "city";

/// The API families a row covers, each with an async API of that family.
fn families(apis: &str) -> Vec<(ApiKind, &'static str)> {
    let read = (ApiKind::LocalRead, "getStorage");
    let write = (ApiKind::LocalWrite, "setStorage");
    match apis {
        "all" => vec![read, write],
        "reads" => vec![read],
        "writes" => vec![write],
        other => panic!("unknown APIs {other:?} in the error table"),
    }
}

const CASES: [&str; 6] = [
    "empty key",
    "wrong type",
    "entry too large",
    "quota reached",
    "missing key",
    "backend failure",
];

#[test]
fn the_error_table_is_the_code() {
    let rows = table(&document(), "errors");
    let mut covered = std::collections::HashSet::new();
    for row in &rows {
        let [name, case, apis, field, code, reason] = &row[..] else {
            panic!("an error row has six cells: {row:?}");
        };
        let d = dialect(name);
        let spec = d.spec();
        let at = format!("error row {name} / {case} / {apis}");
        for (kind, api) in families(apis) {
            assert!(covered.insert((d, case.clone(), kind)), "{at}: given twice");
            if let Some(answer) = reason.strip_prefix("succeeds, ") {
                // Not a failure: the dialect answers a missing key with a value.
                let want = match spec.missing_key {
                    MissingKey::Empty => "`data: \"\"`",
                    MissingKey::Null => "`data: null`",
                    MissingKey::Fail => "(it fails)",
                };
                assert_eq!(case, "missing key", "{at}: only a missing key succeeds");
                assert_eq!((kind, answer), (ApiKind::LocalRead, want), "{at}");
                assert_eq!((field.as_str(), code.as_str()), ("—", "—"), "{at}");
                continue;
            }
            if case == "missing key" {
                assert_eq!(
                    spec.missing_key,
                    MissingKey::Fail,
                    "{at}: the spec does not fail"
                );
            }
            for err in failures(case) {
                let p = platform_error_in(d, kind, api, &err);
                let shape_field = match spec.shape {
                    Shape::ErrMsg { code } => code,
                    Shape::Alipay => "error",
                };
                let got_field = match (p.code, p.error_type) {
                    (None, _) => "—".to_owned(),
                    (Some(_), None) => format!("`{}`", p.field.unwrap_or(shape_field)),
                    (Some(_), Some(t)) => {
                        format!("`{}`, `errorType` {t}", p.field.unwrap_or(shape_field))
                    }
                };
                let got_code = p.code.map_or("—".to_owned(), |c| c.to_string());
                // `cell` took the enclosing backticks off a lone field name.
                let doc_field = if field.starts_with('`') || field == "—" {
                    field.clone()
                } else {
                    format!("`{field}`")
                };
                assert_eq!(
                    (
                        doc_field.as_str(),
                        code.as_str(),
                        reason.replace("<key>", KEY)
                    ),
                    (got_field.as_str(), got_code.as_str(), p.message.clone()),
                    "{at} ({err:?} in {api})"
                );
            }
        }
    }
    for d in Dialect::ALL {
        for case in CASES {
            let needed: &[ApiKind] = match case {
                "entry too large" | "quota reached" => &[ApiKind::LocalWrite],
                "missing key" => &[ApiKind::LocalRead],
                _ => &[ApiKind::LocalRead, ApiKind::LocalWrite],
            };
            for kind in needed {
                assert!(
                    covered.contains(&(d, case.to_owned(), *kind)),
                    "the error table has no row for {} / {case} in {kind:?}",
                    d.name()
                );
            }
        }
    }
}

fn cloud_rule(name: &str) -> Option<CloudRule> {
    use CloudRule::*;
    Some(match name {
        "NotAGame" => NotAGame,
        "NotLoggedIn" => NotLoggedIn,
        "NotOpenDataContext" => NotOpenDataContext,
        "ListNotArray" => ListNotArray,
        "ListEmpty" => ListEmpty,
        "InvalidItem" => InvalidItem,
        "KeyTooLong" => KeyTooLong,
        "KeyValueTooLong" => KeyValueTooLong,
        "TooManyPairs" => TooManyPairs,
        "InvalidLeaderboardValue" => InvalidLeaderboardValue,
        "InvalidKeyList" => InvalidKeyList,
        "InvalidRelationType" => InvalidRelationType,
        "GroupNeedsSortKeyAndGroupId" => GroupNeedsSortKeyAndGroupId,
        "GroupNeedsShareTicket" => GroupNeedsShareTicket,
        _ => return im_rank_rule(name),
    })
}

fn im_rank_rule(name: &str) -> Option<CloudRule> {
    use CloudRule::*;
    Some(match name {
        "NotMainContext" => NotMainContext,
        "InvalidGroupId" => InvalidGroupId,
        "ImRankParams" => ImRankParams,
        "ImRankDataType" => ImRankDataType,
        "ImRankValue" => ImRankValue,
        "ImRankPriority" => ImRankPriority,
        "ImRankExtra" => ImRankExtra,
        "ImRankZone" => ImRankZone,
        "ImRankTooManyZones" => ImRankTooManyZones,
        "ImRankRelationType" => ImRankRelationType,
        "ImRankRankType" => ImRankRankType,
        "ImRankPage" => ImRankPage,
        "InvalidInteractiveKey" => InvalidInteractiveKey,
        "InvalidOpNum" => InvalidOpNum,
        "InvalidOperation" => InvalidOperation,
        "InvalidOpenid" => InvalidOpenid,
        "InteractiveDailyLimit" => InteractiveDailyLimit,
        "NoSessionKey" => NoSessionKey,
        _ => return None,
    })
}

#[test]
fn the_cloud_table_is_the_code() {
    let rows = table(&document(), "cloud");
    let mut rules = 0;
    for row in &rows {
        let [case, rule, code, reason] = &row[..] else {
            panic!("a cloud row has four cells: {row:?}");
        };
        let err = match (rule.as_str(), case.as_str()) {
            ("—", "closed store") => Error::Closed,
            ("—", _) => Error::Backend("disk full".into()),
            (name, _) => {
                rules += 1;
                cloud_rule(name)
                    .unwrap_or_else(|| panic!("unknown rule {name:?}"))
                    .into()
            }
        };
        let tt = platform_error_in(Dialect::Tt, ApiKind::Cloud, "", &err);
        let got = (tt.code.map_or("—".into(), |c| c.to_string()), tt.message);
        assert_eq!((code, reason), (&got.0, &got.1), "cloud row {case}");
        // WeChat: no code, the same reason but for nobody logged in.
        let wx = platform_error_in(Dialect::Wx, ApiKind::Cloud, "", &err);
        let wx_reason = match err {
            Error::Cloud(CloudRule::NotLoggedIn) => "must login before calling",
            _ => reason.as_str(),
        };
        assert_eq!(
            (wx.code, wx.message.as_str()),
            (None, wx_reason),
            "cloud row {case}, wx"
        );
    }
    assert_eq!(rules, 14, "one row per cloud rule");
}

#[test]
fn the_interactive_table_is_the_code() {
    let rows = table(&document(), "interactive");
    let shown = |code: Option<i64>| code.map_or("—".to_owned(), |c| c.to_string());
    for row in &rows {
        let [case, rule, get, modify, server, reason] = &row[..] else {
            panic!("an interactive row has six cells: {row:?}");
        };
        let err: Error = cloud_rule(rule)
            .unwrap_or_else(|| panic!("unknown rule {rule:?}"))
            .into();
        for (api, code) in [
            ("getUserInteractiveStorage", get),
            ("modifyFriendInteractiveStorage", modify),
        ] {
            let e = platform_error_in(Dialect::Wx, ApiKind::Cloud, api, &err);
            assert_eq!(
                (shown(e.code), e.message.as_str(), e.field),
                (code.clone(), reason.as_str(), Some("errCode")),
                "{case} in {api}"
            );
        }
        if server != "—" {
            let e = server_error(Dialect::Wx, ServerFault::Store(&err)).unwrap();
            assert_eq!(
                (e.errcode.to_string(), e.errmsg),
                (server.clone(), reason.as_str()),
                "{case} on the server"
            );
        }
    }
    assert_eq!(rows.len(), 6, "one row per interactive rule");
}

#[test]
fn the_server_table_is_the_code() {
    let rows = table(&document(), "server");
    let backend = Error::Backend("disk full".into());
    for row in &rows {
        let [case, wx_code, wx_msg, tt_code, tt_msg] = &row[..] else {
            panic!("a server row has five cells: {row:?}");
        };
        let rule_err;
        let fault = match case.as_str() {
            "access token of no registered game" => ServerFault::AccessToken,
            "`sig_method` not `hmac_sha256`" => ServerFault::SigMethod,
            "no session, or a wrong signature" => ServerFault::Signature,
            "body not the API's JSON" => ServerFault::Body,
            "storage failure" => ServerFault::Store(&backend),
            name => {
                rule_err =
                    Error::from(cloud_rule(name).unwrap_or_else(|| panic!("unknown {name:?}")));
                ServerFault::Store(&rule_err)
            }
        };
        for (d, code, msg) in [
            (Dialect::Wx, wx_code, wx_msg),
            (Dialect::Tt, tt_code, tt_msg),
        ] {
            let e = server_error(d, fault).unwrap_or_else(|| panic!("no {d:?} row for {case}"));
            assert_eq!(
                (e.errcode.to_string(), e.errmsg),
                (code.clone(), msg.as_str()),
                "{case}"
            );
        }
    }
    assert_eq!(rows.len(), 9, "every cause the table knows");
}

/// Behaviour §5.1: Douyin's user group and ImRank rows, one per rule, as `tt` reports them.
#[test]
fn the_imrank_table_is_the_code() {
    let rows = table(&document(), "imrank");
    for row in &rows {
        let [case, rule, code, reason] = &row[..] else {
            panic!("an imrank row has four cells: {row:?}");
        };
        let rule = im_rank_rule(rule).unwrap_or_else(|| panic!("unknown rule {rule:?}"));
        let tt = platform_error_in(Dialect::Tt, ApiKind::Cloud, "", &rule.into());
        let got = (tt.code.map_or("—".into(), |c| c.to_string()), tt.message);
        assert_eq!((code, reason), (&got.0, &got.1), "imrank row {case}");
    }
    assert_eq!(rows.len(), 12, "one row per user group and ImRank rule");
}
