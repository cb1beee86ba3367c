#![cfg(not(target_arch = "wasm32"))]
//! Property tests of every parser the page runs on what the manager (or another tab, or the
//! browser's storage) hands it: arbitrary bytes, arbitrary JSON and mangled real answers never
//! panic, and what they produce is bounded and token-free. Issue #6, "Hostile data".
//!
//! Each property runs `CASES` cases (proptest's shrinking finds a minimal input on failure);
//! the count is reported in docs/reliability.md.
use cckm_sap_admin::api::client::valid_id;
use cckm_sap_admin::api::decode::{parse_json, parse_value, DecodeError};
use cckm_sap_admin::api::error::{ApiError, ManagerErrorBody};
use cckm_sap_admin::api::groups::SapGroup;
use cckm_sap_admin::api::jobs::{parse_job, Job};
use cckm_sap_admin::api::keys::SapKey;
use cckm_sap_admin::api::list::parse_list;
use cckm_sap_admin::api::text::{excerpt, redact_tokens};
use cckm_sap_admin::api::tokens::{decode_claims, TokenResponse, Tokens};
use cckm_sap_admin::domain::job_state::classify;
use cckm_sap_admin::domain::ledger::Ledger;
use cckm_sap_admin::domain::session::refresh_delay_ms;
use cckm_sap_admin::domain::time_fmt::parse_rfc3339_ms;
use proptest::prelude::*;
use serde_json::{json, Value};

const CASES: u32 = 512;

const KEY: &str = r#"{"id":"d109deae-5ca7-421d-bf49-637e65c3bbcb","uri":"kylo:kylo:cckm:sap-key:d109deae","account":"kylo:kylo:admin:accounts:kylo","createdAt":"2021-10-18T04:24:18.88509Z","updatedAt":"2021-10-18T05:48:26.754073Z","cloud_name":"sap","tenant":"thales-preprod","name":"payroll-master","gone":false,"sap_param":{"description":"","enabled":true,"exportable":false,"groupId":"489ac34d-3e9c-4be3-8c1c-2c383bf31461","sap_key_id":"89ac400d-254f-4a19-a1fa-8952a2dca56f","keystoreContext":{"customerHeld":false},"type":"AES","size":256,"meta":{"created":"2021-10-22T03:27:41Z","creatorName":"creator.name@xyz.com","totalVersions":1}},"sap_group_name":"payroll"}"#;
const JOB: &str = r#"{"id":"5db60499-9f4f-4143-b963-370459d3cef1","uri":"kylo:kylo:cckm:sap_job:5db60499","account":"kylo:kylo:admin:accounts:kylo","createdAt":"2021-11-24T09:54:45.962862797Z","updatedAt":"2021-11-24T09:54:45.963309486Z","cckm_key_id":"b707ea86-37bb-4212-ad09-2635698dbe4a","group_id":"489ac34d-3e9c-4be3-8c1c-2c383bf31461","job_id":"b6b65380-4c0d-4b39-853a-e54676fe6706","key_id":"89ac400d-254f-4a19-a1fa-8952a2dca56f","operation":"delete","creator_id":"69f41156","creator_name":"creator.name@xyz.com","state":"PENDING"}"#;
const TOKEN: &str = r#"{"jwt":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAzMDAsImlhdCI6MTcwMDAwMDAwMH0.c2ln","duration":300,"token_type":"Bearer","client_id":"c","refresh_token_id":"r","refresh_token":"rt"}"#;
const ERROR: &str = r#"{"code":404,"codeDesc":"NCERRResourceNotFound: Resource not found","message":"key 'x' not found"}"#;

fn list_of(item: &str) -> String {
    format!(r#"{{"skip":0,"limit":10,"total":1,"resources":[{item}],"messages":["warn"]}}"#)
}

/// Arbitrary JSON values, a few levels deep, with the field names the parsers look for.
fn arb_json() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(vec![
        "id",
        "name",
        "gone",
        "state",
        "sap_param",
        "enabled",
        "resources",
        "total",
        "skip",
        "limit",
        "messages",
        "jwt",
        "duration",
        "refresh_token",
        "message",
        "codeDesc",
        "code",
        "error_details",
        "meta",
        "size",
        "type",
        "entries",
        "job_id",
        "operation",
        "exp",
        "iat",
        "x",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        any::<String>().prop_map(Value::String),
        Just(json!("COMPLETED")),
        Just(json!("d109deae-5ca7-421d-bf49-637e65c3bbcb")),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(names.clone(), inner, 0..8).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// A real answer, cut, spliced with random bytes, or with one field replaced by random JSON.
fn mangled(real: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        (0..=real.len())
            .prop_map(move |n| String::from_utf8_lossy(&real.as_bytes()[..n]).into_owned()),
        (0..=real.len(), any::<String>()).prop_map(move |(n, s)| {
            let b = real.as_bytes();
            let mut v = b[..n].to_vec();
            v.extend_from_slice(s.as_bytes());
            v.extend_from_slice(&b[n..]);
            String::from_utf8_lossy(&v).into_owned()
        }),
        (arb_json(), 0usize..32).prop_map(move |(j, which)| {
            let mut v: Value = serde_json::from_str(real).expect("fixture is JSON");
            if let Value::Object(m) = &mut v {
                let keys: Vec<String> = m.keys().cloned().collect();
                if !keys.is_empty() {
                    m.insert(keys[which % keys.len()].clone(), j);
                }
            }
            v.to_string()
        }),
    ]
}

fn any_body() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        any::<String>(),
        arb_json().prop_map(|v| v.to_string()),
        mangled(KEY),
        mangled(JOB),
        mangled(TOKEN),
        mangled(ERROR),
        mangled(Box::leak(list_of(KEY).into_boxed_str())),
        mangled(Box::leak(list_of(JOB).into_boxed_str())),
    ]
}

/// Everything a parser of a manager answer may do: read it or say why not, never panic.
fn parse_everything(body: &str) {
    let _ = parse_json::<TokenResponse>(body);
    let _ = parse_json::<SapKey>(body).map(|k| {
        (
            k.display_name(),
            k.state(),
            k.type_size(),
            k.group_label(),
            k.sap_key_id().map(str::len),
        )
    });
    let _ = parse_json::<ManagerErrorBody>(body);
    if let Ok((page, skipped)) = parse_list::<SapKey>(body) {
        assert!(page.resources.len() + skipped < 100_000);
        for k in &page.resources {
            let _ = (
                k.display_name(),
                k.state().label(),
                k.type_size(),
                k.group_label(),
            );
        }
    }
    if let Ok((page, _)) = parse_list::<SapGroup>(body) {
        for g in &page.resources {
            let _ = g.label();
        }
    }
    if let Ok(job) = parse_job(body) {
        let _ = (classify(&job.state), job.failure_text(), job.operation());
    }
    let _ = parse_json::<Job>(body);
    let _ = parse_json::<Tokens>(body);
    if let Err(e) = parse_value(body) {
        let api = ApiError::decode(e, "the job");
        let m = api.user_message();
        assert!(m.chars().count() < 600, "{m}");
    }
    let _ = Ledger::from_json_lossy(body);
    let _ = decode_claims(body);
    let _ = parse_rfc3339_ms(body);
    let _ = valid_id(body);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_parser_panics_on_any_body(body in any_body()) {
        parse_everything(&body);
    }

    #[test]
    fn error_answers_become_bounded_token_free_sentences(
        status in 100u16..1000, status_text in any::<String>(), body in any_body(), retry in proptest::option::of(any::<String>()),
        secret in "[A-Za-z0-9_-]{16,40}",
    ) {
        let jwt = format!("eyJhbGciOiJIUzI1NiJ9.eyJ{secret}.{secret}");
        let body = format!("{body} {jwt} Bearer {secret}");
        let e = ApiError::from_response(status, &status_text, &body, retry.as_deref());
        let m = e.user_message();
        prop_assert!(m.chars().count() < 800, "{}", m);
        prop_assert!(!m.contains(&jwt), "{}", m);
        prop_assert!(!m.contains(&secret), "{}", m);
        prop_assert!(!m.chars().any(char::is_control), "{}", m);
        prop_assert!(e.retry_after_s.unwrap_or(0) <= 600);
        let _ = (e.is_transient(), e.login_message(), e.to_string());
    }

    #[test]
    fn a_cut_answer_is_truncated_or_unreadable_never_a_panic(n in 0usize..400) {
        for real in [KEY, JOB, TOKEN] {
            let cut = &real[..n.min(real.len())];
            match parse_value(cut) {
                Ok(_) => prop_assert_eq!(cut.len(), real.len()),
                Err(DecodeError::Truncated) | Err(DecodeError::NotJson(_)) => {}
                Err(other) => prop_assert!(false, "{:?}", other),
            }
            parse_everything(cut);
        }
    }

    #[test]
    fn jwt_payloads_of_any_shape(payload in arb_json(), junk in any::<String>(), now in any::<f64>(), dur in proptest::option::of(any::<u64>())) {
        use base64::Engine;
        let p = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string());
        for jwt in [format!("h.{p}.s"), format!("{junk}.{p}"), junk.clone(), format!("..{junk}")] {
            let claims = decode_claims(&jwt);
            let d = refresh_delay_ms(now, claims.as_ref(), dur);
            prop_assert!(d >= 1000 || !now.is_finite(), "delay {}", d);
        }
    }

    #[test]
    fn job_states_of_any_text_classify(state in any::<String>()) {
        let _ = classify(&state);
        let job = parse_job(&json!({"id": "5db60499-9f4f-4143-b963-370459d3cef1", "state": state}).to_string());
        prop_assert!(job.is_ok());
    }

    #[test]
    fn stored_ledgers_of_any_shape_load_or_are_refused(v in arb_json(), entries in prop::collection::vec(arb_json(), 0..6)) {
        let _ = Ledger::from_json_lossy(&v.to_string());
        let doc = json!({"version": 1, "entries": entries}).to_string();
        if let Ok((l, skipped)) = Ledger::from_json_lossy(&doc) {
            prop_assert!(l.entries.len() + skipped <= 6);
            let again = Ledger::from_json(&l.to_json());
            prop_assert!(again.is_ok());
        }
    }

    #[test]
    fn excerpts_are_bounded_and_clean(s in any::<String>(), max in 0usize..300) {
        let x = excerpt(&s, max);
        prop_assert!(x.chars().count() <= max.max(1));
        prop_assert!(!x.chars().any(char::is_control));
        let _ = redact_tokens(&s);
    }
}
