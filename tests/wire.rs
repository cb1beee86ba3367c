//! The wire, read and written the same way on both sides: each test runs in headless Chromium
//! (`JSON.parse` + serde-wasm-bindgen, `JSON.stringify`) and natively (serde_json), on the same
//! fixture texts, with the same expected values — leniency included.
use cckm_sap_admin::api::decode::{parse_json, parse_value, to_json, to_json_pretty, DecodeError};
use cckm_sap_admin::api::error::{ApiError, ManagerErrorBody};
use cckm_sap_admin::api::groups::SapGroup;
use cckm_sap_admin::api::jobs::{parse_job, Job, JobRequest, Operation};
use cckm_sap_admin::api::keys::{KeyState, SapKey};
use cckm_sap_admin::api::list::parse_list;
use cckm_sap_admin::api::sign_in::SignIn;
use cckm_sap_admin::api::tokens::{decode_claims, TokenRequest, TokenResponse, Tokens};
use cckm_sap_admin::domain::job_state::JobPhase;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const KEY: &str = r#"{"id":"d109deae-5ca7-421d-bf49-637e65c3bbcb","uri":"kylo:kylo:cckm:sap-key:d109deae","account":"kylo:kylo:admin:accounts:kylo","createdAt":"2021-10-18T04:24:18.88509Z","updatedAt":"2021-10-18T05:48:26.754073Z","cloud_name":"sap","tenant":"thales-preprod","name":"payroll-master","gone":false,"sap_param":{"description":"","enabled":true,"exportable":false,"groupId":"489ac34d-3e9c-4be3-8c1c-2c383bf31461","sap_key_id":"89ac400d-254f-4a19-a1fa-8952a2dca56f","keystoreContext":{"customerHeld":false},"type":"AES","size":256,"meta":{"created":"2021-10-22T03:27:41Z","creatorName":"creator.name@xyz.com","totalVersions":1}},"sap_group_name":"payroll","some_future_field":{"x":[1,2]}}"#;

/// Odd types in every inferred field.
const ODD_KEY: &str = r#"{"id":"x","name":42,"gone":"true","sap_group_name":null,"tenant":true,
    "sap_param":{"enabled":"FALSE","size":"128","type":"HMAC","meta":"oops","keystoreContext":[1],
                 "groupId":{"a":1},"sap_key_id":1.5}}"#;

const JOB: &str = r#"{"id":"5db60499-9f4f-4143-b963-370459d3cef1","uri":"kylo:kylo:cckm:sap_job:5db60499","account":"kylo:kylo:admin:accounts:kylo","createdAt":"2021-11-24T09:54:45.962862797Z","updatedAt":"2021-11-24T09:54:45.963309486Z","cckm_key_id":"b707ea86-37bb-4212-ad09-2635698dbe4a","group_id":"489ac34d-3e9c-4be3-8c1c-2c383bf31461","job_id":"b6b65380-4c0d-4b39-853a-e54676fe6706","key_id":"89ac400d-254f-4a19-a1fa-8952a2dca56f","operation":"delete","creator_id":"69f41156","creator_name":"creator.name@xyz.com","state":"PENDING"}"#;

fn list_of(items: &str) -> String {
    format!(
        r#"{{"skip":"20","limit":10,"total":1234,"resources":[{items}],"messages":["careful",3,null,{{"a":[true]}}]}}"#
    )
}

#[wasm_bindgen_test(unsupported = test)]
fn a_key_as_the_manager_sends_it() {
    let k: SapKey = parse_json(KEY).unwrap();
    assert_eq!(k.id, "d109deae-5ca7-421d-bf49-637e65c3bbcb");
    assert_eq!(k.state(), KeyState::Enabled);
    assert_eq!(k.display_name(), "payroll-master");
    assert_eq!(k.type_size(), "AES 256");
    assert_eq!(k.group_label(), "payroll");
    assert_eq!(k.sap_key_id(), Some("89ac400d-254f-4a19-a1fa-8952a2dca56f"));
    let p = k.sap_param.unwrap();
    assert_eq!(p.keystore_context.unwrap().customer_held, Some(false));
    let meta = p.meta.unwrap();
    assert_eq!(meta.total_versions, Some(1));
    assert_eq!(meta.creator_name.as_deref(), Some("creator.name@xyz.com"));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_field_of_the_wrong_type_reads_as_absent() {
    let k: SapKey = parse_json(ODD_KEY).unwrap();
    assert_eq!(k.name.as_deref(), Some("42"));
    assert_eq!(k.tenant.as_deref(), Some("true"));
    assert_eq!(k.state(), KeyState::Gone);
    assert_eq!(k.type_size(), "HMAC 128");
    assert_eq!(k.sap_group_name, None);
    let p = k.sap_param.unwrap();
    assert_eq!(p.enabled, Some(false));
    assert_eq!((p.meta, p.keystore_context, p.group_id), (None, None, None));
    assert_eq!(p.sap_key_id.as_deref(), Some("1.5"));
    let k: SapKey = parse_json(r#"{"id":"y","sap_param":"nope","name":"  "}"#).unwrap();
    assert_eq!(
        (k.display_name(), k.sap_param),
        ("(unnamed key y)".into(), None)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn list_items_that_are_not_keys_are_skipped_and_counted() {
    let body = list_of(&format!(
        r#"{KEY},{{"name":"no id"}},7,null,["d109deae"],{{"id":5}},"k",{{"id":{{"x":[1]}},"name":"n"}},{{"id":"b"}}"#
    ));
    let (page, skipped) = parse_list::<SapKey>(&body).unwrap();
    assert_eq!(skipped, 7);
    let ids: Vec<&str> = page.resources.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, ["d109deae-5ca7-421d-bf49-637e65c3bbcb", "b"]);
    assert_eq!((page.skip, page.limit, page.total), (20, 10, 1234));
    assert_eq!(page.messages, ["careful", "3", "null", r#"{"a":[true]}"#]);
    let (page, skipped) =
        parse_list::<SapGroup>(r#"{"skip":5,"resources":[{"id":"g","name":"payroll"},1]}"#)
            .unwrap();
    assert_eq!(
        (page.total, skipped, page.resources[0].label()),
        (7, 1, "payroll".into())
    );
    let (page, _) = parse_list::<SapKey>(r#"{"resources":null,"messages":"one"}"#).unwrap();
    assert_eq!(
        (page.resources.len(), page.messages),
        (0, vec!["one".to_string()])
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_job_keeps_its_raw_state_and_json() {
    let j = parse_job(JOB).unwrap();
    assert_eq!(j.state, "PENDING");
    assert_eq!(j.operation(), Some(Operation::Delete));
    assert_eq!(
        j.key_id.as_deref(),
        Some("89ac400d-254f-4a19-a1fa-8952a2dca56f")
    );
    let raw = j.raw.unwrap();
    assert_eq!(raw["creator_name"], "creator.name@xyz.com");
    assert_eq!(raw, parse_value(JOB).unwrap());
    let j = parse_job(
        r#"{"id":"j","state":"SHREDDING_SOON","operation":" RESTORE ","error":{"code":5,"why":["a\"b",null]},"details":7}"#,
    )
    .unwrap();
    assert_eq!(j.state, "SHREDDING_SOON");
    assert_eq!(j.operation(), Some(Operation::Restore));
    assert_eq!(
        j.failure_text().as_deref(),
        Some(r#"{"code":5,"why":["a\"b",null]}"#)
    );
    assert_eq!(j.details.as_deref(), Some("7"));
    let j =
        parse_job(r#"{"id":"j","state":null,"operation":"shred","error_details":null}"#).unwrap();
    assert_eq!(
        (j.state.as_str(), j.operation(), j.error_details),
        ("", None, None)
    );
    assert_eq!(j.operation.as_deref(), Some("shred"));
}

#[wasm_bindgen_test(unsupported = test)]
fn numbers_as_strings_and_strings_as_numbers() {
    let t: TokenResponse = parse_json(r#"{"jwt":"a.b.c","duration":"300"}"#).unwrap();
    assert_eq!(t.duration, Some(300));
    let t: TokenResponse = parse_json(r#"{"jwt":"a.b.c","duration":300.7}"#).unwrap();
    assert_eq!(t.duration, Some(300));
    let t: TokenResponse = parse_json(r#"{"jwt":"a.b.c","duration":"300.0x"}"#).unwrap();
    assert_eq!(t.duration, None);
    let e: ManagerErrorBody =
        parse_json(r#"{"code":"409","requestId":42,"message":{"m":1},"codeDesc":null}"#).unwrap();
    assert_eq!(e.code, Some(409));
    assert_eq!(e.request_id.as_deref(), Some("42"));
    assert_eq!(e.message.as_deref(), Some(r#"{"m":1}"#));
    assert_eq!(e.code_desc, None);
    let t: Tokens = parse_json(
        r#"{"jwt":"a.b.c","user":"bob","received_ms":" 1.7e12 ","duration_s":"60","connection":5}"#,
    )
    .unwrap();
    assert_eq!((t.received_ms, t.duration_s), (1.7e12, Some(60)));
    assert_eq!(t.connection, "5");
}

#[wasm_bindgen_test(unsupported = test)]
fn three_ways_an_answer_cannot_be_read() {
    assert_eq!(parse_json::<SapKey>(""), Err(DecodeError::Truncated));
    assert_eq!(
        parse_json::<SapKey>(&KEY[..40]),
        Err(DecodeError::Truncated)
    );
    assert_eq!(
        parse_list::<SapKey>(r#"{"resources":[{"id":"a\"b"#),
        Err(DecodeError::Truncated)
    );
    assert!(matches!(
        parse_json::<SapKey>("<html>Bad\u{7}Gateway</html>"),
        Err(DecodeError::NotJson(x)) if x == "<html>Bad Gateway</html>"
    ));
    for wrong in ["[1]", r#""x""#, "{}", r#"{"id":5}"#, "null"] {
        assert!(
            matches!(parse_json::<SapKey>(wrong), Err(DecodeError::WrongShape(_))),
            "{wrong}"
        );
    }
    for odd in [
        r#"{"resources":{}}"#,
        r#"{"resources":"k"}"#,
        r#"{"resources":3}"#,
    ] {
        assert!(
            matches!(parse_list::<SapKey>(odd), Err(DecodeError::WrongShape(_))),
            "{odd}"
        );
    }
    let e = ApiError::decode(parse_job(r#"{"state":"PENDING"}"#).unwrap_err(), "the job");
    assert!(
        e.user_message().contains("the job has an unexpected shape"),
        "{}",
        e.user_message()
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn error_answers_and_claims() {
    let e = ApiError::from_response(
        404,
        "Not Found",
        r#"{"code":404,"codeDesc":"NCERRResourceNotFound: Resource not found","message":"key 'x' not found","requestID":"r-1"}"#,
        None,
    );
    assert_eq!(
        e.user_message(),
        "The manager refused the request: key 'x' not found (HTTP 404)."
    );
    assert_eq!(
        (e.ncerr(), e.request_id()),
        (Some("NCERRResourceNotFound"), Some("r-1"))
    );
    // {"sub":"local|1","preferred_username":"admin","iat":1637747685,"exp":"1637747985"}
    let c = decode_claims("h.eyJzdWIiOiJsb2NhbHwxIiwicHJlZmVycmVkX3VzZXJuYW1lIjoiYWRtaW4iLCJpYXQiOjE2Mzc3NDc2ODUsImV4cCI6IjE2Mzc3NDc5ODUifQ.s").unwrap();
    assert_eq!(c.preferred_username.as_deref(), Some("admin"));
    assert_eq!(c.lifetime_s(), Some(300));
    assert_eq!(decode_claims("h.WzEsMl0.s"), None, "[1,2] is no claims");
}

#[wasm_bindgen_test(unsupported = test)]
fn request_bodies_are_written_exactly() {
    let r = JobRequest {
        id: "k".into(),
        operation: Operation::Restore,
        delete_if_backup_fails: false,
    };
    assert_eq!(
        to_json(&r).unwrap(),
        r#"{"id":"k","operation":"restore","delete_if_backup_fails":false}"#
    );
    let p = TokenRequest::Password {
        username: "ana".into(),
        password: "pw".into(),
        domain: Some("eu".into()),
        auth_domain: None,
        connection: Some("local_account".into()),
    };
    assert_eq!(
        to_json(&p).unwrap(),
        r#"{"grant_type":"password","username":"ana","password":"pw","domain":"eu","connection":"local_account"}"#
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn what_is_written_reads_back_the_same() {
    let who = SignIn::new("admin", "eu-payments", "corp-ldap").with_home("root");
    let answer: TokenResponse =
        parse_json(r#"{"jwt":"h.e30.s","refresh_token":"rt","duration":300}"#).unwrap();
    let tokens = Tokens::from_grant(answer, &who, 1_700_000_000_123.5);
    assert_eq!(
        parse_json::<Tokens>(&to_json(&tokens).unwrap()),
        Ok(tokens.clone())
    );
    let bare = Tokens {
        refresh_token: None,
        duration_s: None,
        ..tokens
    };
    assert_eq!(parse_json::<Tokens>(&to_json(&bare).unwrap()), Ok(bare));
    let job = parse_job(JOB).unwrap();
    let again = parse_job(&to_json(&job).unwrap()).unwrap();
    assert_eq!(Job { raw: None, ..again }, Job { raw: None, ..job });
    let pretty = to_json_pretty(&parse_value(r#"{"id":"j","n":[1,null]}"#).unwrap()).unwrap();
    assert_eq!(
        pretty,
        "{\n  \"id\": \"j\",\n  \"n\": [\n    1,\n    null\n  ]\n}"
    );
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Stored {
        op: Operation,
        #[serde(
            default,
            deserialize_with = "cckm_sap_admin::api::lenient::word_or_default"
        )]
        phase: JobPhase,
    }
    for (op, phase) in [
        (Operation::Delete, JobPhase::NoLongerWatched),
        (Operation::Restore, JobPhase::Failed),
    ] {
        let s = Stored { op, phase };
        let text = to_json(&s).unwrap();
        assert_eq!(
            text,
            format!(r#"{{"op":"{}","phase":"{}"}}"#, op.as_str(), phase.as_str())
        );
        assert_eq!(parse_json::<Stored>(&text), Ok(s));
    }
    let odd: Stored = parse_json(r#"{"op":" DELETE ","phase":7}"#).unwrap();
    assert_eq!((odd.op, odd.phase), (Operation::Delete, JobPhase::Running));
    let odd: Stored = parse_json(r#"{"op":"delete","phase":"brand_new"}"#).unwrap();
    assert_eq!(odd.phase, JobPhase::Running);
    assert!(parse_json::<Stored>(r#"{"op":"purge"}"#).is_err());
}

/// The client against the simulator (`CCKM_SIM_URL`, started with `--cors`): the manager's real
/// answers read in the browser, from the login to a key.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test]
async fn the_simulator_s_answers_read_in_the_browser() {
    use cckm_sap_admin::api::client::Api;
    let Some(sim) = option_env!("CCKM_SIM_URL") else {
        panic!("CCKM_SIM_URL is not set: run the wasm tests through `cargo xtask test`");
    };
    let api = Api::new(sim);
    let tokens = api
        .login(&SignIn::new("admin", "", ""), "admin")
        .await
        .unwrap();
    assert_eq!(tokens.user, "admin");
    assert!(tokens.refresh_token.is_some());
    let claims = tokens.claims().expect("the simulator's JWT has claims");
    assert!(claims.lifetime_s().is_some());
    assert_eq!(parse_json::<Tokens>(&to_json(&tokens).unwrap()), Ok(tokens));
    let (page, skipped) = api.keys("skip=0&limit=10").await.unwrap();
    assert_eq!((page.resources.len(), skipped), (10, 0));
    assert!(page.total >= 10, "{}", page.total);
    let first = &page.resources[0];
    assert!(first.sap_param.is_some());
    let again = api.key(&first.id).await.unwrap();
    assert_eq!(again.id, first.id);
    let (groups, skipped) = api.groups("skip=0&limit=50").await.unwrap();
    assert_eq!(skipped, 0);
    assert!(groups.resources.iter().all(|g| !g.label().is_empty()));
    let refreshed = api.refresh().await.unwrap();
    assert_eq!(refreshed.user, "admin");
}
