//! The job ledger as evidence for auditors: JSON and CSV, and a job as a curl command.
use super::job_state::JobPhase;
use super::ledger::{Ledger, LedgerEntry, LinkKind, Verification};
use super::time_fmt::clock;
use crate::api::decode;
use crate::api::jobs::JobRequest;

/// A format the job list is exported in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
}

impl ExportFormat {
    /// The file's name for an export made at `stamp` (a time already safe in a file name).
    pub(crate) fn file_name(self, stamp: &str) -> String {
        format!("cckm-sap-jobs-{stamp}.{}", self.extension())
    }

    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        }
    }

    pub(crate) fn mime_type(self) -> &'static str {
        match self {
            ExportFormat::Json => "application/json",
            ExportFormat::Csv => "text/csv",
        }
    }

    /// The ledger in this format.
    pub(crate) fn render(self, ledger: &Ledger) -> String {
        match self {
            ExportFormat::Json => to_json(ledger),
            ExportFormat::Csv => to_csv(ledger),
        }
    }
}

/// One line per job; every field quoted, quotes doubled, and cells that a spreadsheet would run
/// as a formula (`=`, `+`, `-`, `@`, tab, CR) prefixed with `'`.
pub(crate) fn to_csv(ledger: &Ledger) -> String {
    let mut out = String::from(
        "job_id,cckm_key_id,key_name,group,sap_key_id,operation,delete_if_backup_fails,user,manager,created_utc,phase,last_state,states_seen,failure,key_check,error_name,request_id,batch_id,link,link_of\r\n",
    );
    for e in &ledger.entries {
        let states: Vec<String> = e
            .states
            .iter()
            .map(|s| format!("{}@{}", s.state, clock(s.at_ms)))
            .collect();
        let row = [
            e.job_id.clone(),
            e.id.clone(),
            e.key_name.clone(),
            e.group.clone().unwrap_or_default(),
            e.sap_key_id.clone().unwrap_or_default(),
            e.operation.as_str().to_string(),
            e.delete_if_backup_fails.to_string(),
            e.user.clone(),
            e.manager.clone(),
            clock(e.created_ms),
            phase_text(e).to_string(),
            e.last_state().to_string(),
            states.join(" > "),
            e.failure_text.clone().unwrap_or_default(),
            key_check(e),
            e.last_error
                .as_ref()
                .and_then(|x| x.name.clone())
                .unwrap_or_default(),
            e.last_error
                .as_ref()
                .and_then(|x| x.request_id.clone())
                .unwrap_or_default(),
            e.batch_id().to_string(),
            link_text(e).to_string(),
            e.link.as_ref().map(|l| l.of.clone()).unwrap_or_default(),
        ];
        let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The phase, saying when a success was inferred from the key rather than said by the manager.
fn phase_text(e: &LedgerEntry) -> &'static str {
    match e.phase {
        JobPhase::Succeeded if e.inferred => "succeeded (inferred from the key)",
        p => p.label(),
    }
}

/// What the job's batch did to an earlier one: "retry of", "undo of", or "".
fn link_text(e: &LedgerEntry) -> &'static str {
    match e.link.as_ref().map(|l| l.kind) {
        Some(LinkKind::Retry) => "retry of",
        Some(LinkKind::Undo) => "undo of",
        None => "",
    }
}

fn key_check(e: &LedgerEntry) -> String {
    match &e.verification {
        Verification::NotYet => "not checked".into(),
        Verification::Confirmed => "confirmed".into(),
        Verification::Drift { .. } => "key did not change as expected".into(),
        Verification::Unavailable(m) => format!("unavailable: {m}"),
    }
}

fn cell(raw: &str) -> String {
    let guarded = match raw.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{raw}"),
        _ => raw.to_string(),
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// The ledger as pretty JSON, as stored.
pub fn to_json(ledger: &Ledger) -> String {
    decode::to_json_pretty(ledger).unwrap_or_else(|| ledger.to_json())
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The request that created the job and the one that reads it, as curl commands. The token is
/// never included: `$TOKEN` stands for it.
pub(crate) fn curl_commands(origin: &str, e: &LedgerEntry) -> String {
    // The very type the page posts.
    let req = JobRequest {
        id: e.id.clone(),
        operation: e.operation,
        delete_if_backup_fails: e.delete_if_backup_fails,
    };
    let body = decode::to_json(&req).unwrap_or_default();
    format!(
        "# created with\ncurl -X POST {} \\\n  -H 'Authorization: Bearer $TOKEN' -H 'Content-Type: application/json' \\\n  -d {}\n# status\ncurl {} \\\n  -H 'Authorization: Bearer $TOKEN'\n",
        shell_quote(&format!("{origin}/api/v1/cckm/sap/keys/jobs")),
        shell_quote(&body),
        shell_quote(&format!("{origin}/api/v1/cckm/sap/keys/jobs/{}", e.job_id)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::jobs::{parse_job, Job, Operation};
    use crate::domain::key_ref::KeyRef;

    fn entry(name: &str) -> LedgerEntry {
        let job = parse_job(r#"{"id":"5db60499-9f4f-4143-b963-370459d3cef1","state":"PENDING"}"#)
            .unwrap();
        let key = KeyRef {
            id: "b707ea86-37bb-4212-ad09-2635698dbe4a".into(),
            name: name.into(),
            group: Some("payroll".into()),
            sap_key_id: None,
        };
        LedgerEntry::started(
            &job,
            &key,
            Operation::Delete,
            true,
            "admin",
            "http://127.0.0.1:8080",
            1_700_000_000_000.0,
        )
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let mut l = Ledger::new();
        l.add(entry("=HYPERLINK(\"http://x\")"));
        let csv = to_csv(&l);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(lines[0].starts_with("job_id,cckm_key_id,key_name"));
        assert!(
            lines[1].contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("\"delete\",\"true\",\"admin\""));
        assert!(lines[1].contains("PENDING@"));
        assert_eq!(lines.len(), 3, "header, one row, trailing empty");
    }

    #[test]
    fn inferred_and_unwatched_jobs_are_exported() {
        let mut l = Ledger::new();
        let mut a = entry("a");
        a.job_id = "job-a".into();
        l.add(a);
        let mut b = entry("b");
        b.job_id = "job-b".into();
        l.add(b);
        let word = |id: &str, state: &str| -> Job {
            parse_job(&serde_json::json!({"id": id, "state": state}).to_string()).unwrap()
        };
        l.record_job(&word("job-a", "DELETED"), 1_700_000_001_000.0);
        l.set_verification_at("job-a", Verification::Confirmed, 1_700_000_002_000.0);
        l.record_job(
            &word("job-b", "DELETED"),
            1_700_000_000_000.0 + crate::domain::poll::UNWATCHED_AFTER_MS,
        );
        let csv = to_csv(&l);
        let row = |name: &str| {
            csv.lines()
                .find(|r| r.contains(&format!("\"{name}\"")))
                .unwrap()
                .to_string()
        };
        assert!(
            row("a").contains("\"succeeded (inferred from the key)\",\"DELETED\""),
            "{csv}"
        );
        assert!(row("a").contains("\"confirmed\""), "{csv}");
        assert!(
            row("b").contains("\"no longer watched — check the manager\",\"DELETED\""),
            "{csv}"
        );
        let v: serde_json::Value = serde_json::from_str(&to_json(&l)).unwrap();
        let phases: Vec<_> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["phase"].clone(), e["inferred"].clone()))
            .collect();
        assert!(
            phases.contains(&(serde_json::json!("succeeded"), serde_json::json!(true))),
            "{phases:?}"
        );
        assert!(
            phases.contains(&(
                serde_json::json!("no_longer_watched"),
                serde_json::Value::Null
            )),
            "{phases:?}"
        );
    }

    #[test]
    fn each_format_names_its_file_and_renders_its_text() {
        let mut l = Ledger::new();
        l.add(entry("a"));
        let csv = ExportFormat::Csv;
        assert_eq!(csv.file_name("2026-11-30"), "cckm-sap-jobs-2026-11-30.csv");
        assert_eq!(csv.mime_type(), "text/csv");
        assert_eq!(csv.render(&l), to_csv(&l));
        let json = ExportFormat::Json;
        assert_eq!(json.file_name("x"), "cckm-sap-jobs-x.json");
        assert_eq!(json.mime_type(), "application/json");
        assert_eq!(json.render(&l), to_json(&l));
        assert_ne!(csv.render(&l), json.render(&l));
    }

    #[test]
    fn json_holds_every_job() {
        let mut l = Ledger::new();
        l.add(entry("a"));
        let v: serde_json::Value = serde_json::from_str(&to_json(&l)).unwrap();
        assert_eq!(v["entries"].as_array().unwrap().len(), 1);
        assert_eq!(Ledger::from_json(&to_json(&l)).unwrap(), l);
    }

    #[test]
    fn curl_never_holds_a_token_and_quotes_for_the_shell() {
        let e = entry("it's");
        let c = curl_commands("https://cm.example", &e);
        assert!(c.contains("$TOKEN"));
        assert!(!c.contains("eyJ"));
        assert!(c.contains("'https://cm.example/api/v1/cckm/sap/keys/jobs'"));
        assert!(c.contains("\"operation\":\"delete\""));
        assert!(c.contains("\"delete_if_backup_fails\":true"));
        assert!(c.contains("jobs/5db60499-9f4f-4143-b963-370459d3cef1'"));
    }

    #[test]
    fn exports_carry_the_last_manager_error() {
        use crate::api::error::ApiError;
        use crate::domain::manager_error::ManagerError;
        let mut l = Ledger::new();
        l.add(entry("a"));
        let csv = to_csv(&l);
        assert!(
            csv.starts_with("job_id,")
                && csv.contains(",key_check,error_name,request_id,batch_id,link,link_of\r\n"),
            "{csv}"
        );
        assert!(
            csv.split("\r\n")
                .nth(1)
                .unwrap()
                .ends_with(r#","","","5db60499-9f4f-4143-b963-370459d3cef1","","""#),
            "empty cells without an error or a link; a batch of one is named by its job"
        );
        let body = r#"{"code":14,"codeDesc":"NCERRInternalServerError: unexpected error","requestID":"=3f0c\"1"}"#;
        let api = ApiError::from_response(500, "", body, None);
        l.record_error(
            "5db60499-9f4f-4143-b963-370459d3cef1",
            ManagerError::from_api(&api, 1.0),
        );
        let csv = to_csv(&l);
        let row = csv.split("\r\n").nth(1).unwrap();
        assert!(
            row.contains(r#","NCERRInternalServerError","'=3f0c""1","#),
            "{row}"
        );
        let header_cells = csv.split("\r\n").next().unwrap().split(',').count();
        assert_eq!(header_cells, 20);
        let v: serde_json::Value = serde_json::from_str(&to_json(&l)).unwrap();
        let e = &v["entries"][0]["last_error"];
        assert_eq!(e["name"], "NCERRInternalServerError");
        assert_eq!(e["request_id"], "=3f0c\"1");
        assert_eq!(
            e["message"],
            "The manager failed: unexpected error (HTTP 500)."
        );
    }

    #[test]
    fn exports_carry_the_batch_and_its_link() {
        use crate::domain::ledger::BatchLink;
        let mut l = Ledger::new();
        let link = BatchLink {
            kind: LinkKind::Undo,
            of: "b-0".into(),
        };
        l.add(entry("a").in_batch("b-1", Some(link)));
        let csv = to_csv(&l);
        let row = csv.split("\r\n").nth(1).unwrap();
        assert!(row.ends_with(r#","b-1","undo of","b-0""#), "{row}");
        let v: serde_json::Value = serde_json::from_str(&to_json(&l)).unwrap();
        assert_eq!(v["entries"][0]["batch"], "b-1");
        assert_eq!(v["entries"][0]["link"]["kind"], "undo");
        assert_eq!(v["entries"][0]["link"]["of"], "b-0");
    }
}
