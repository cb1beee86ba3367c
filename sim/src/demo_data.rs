//! Deterministic demo data from a seed: groups with the demo ACLs, anchor keys the tests rely on,
//! hostile names, filler.

use crate::store::{GroupRecord, KeyRecord, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;
use uuid::Uuid;

const GROUP_NAMES: &[&str] = &[
    "payroll",
    "hr",
    "finance",
    "crm",
    "hana-prod",
    "analytics",
    "logistics",
    "sales",
    "s4-core",
    "bw-reporting",
    "ariba",
    "successfactors",
    "treasury",
    "procurement",
    "retail-pos",
    "mdg",
];
const APPS: &[&str] = &["GENERAL", "HANA", "S4HANA", "BW", "ARIBA"];
const PREFIXES: &[&str] = &[
    "payroll", "crm-db", "hana", "erp", "s4", "bw", "ariba", "ledger", "billing", "customer", "vendor", "tax",
    "treasury", "audit", "pos", "mdg",
];
const SUFFIXES: &[&str] = &[
    "master",
    "tde",
    "backup-kek",
    "signing",
    "archive",
    "wrap",
    "dek",
    "kek",
    "reporting",
    "export",
    "log-encryption",
    "tokenization",
];
const CREATORS: &[&str] = &[
    "creator.name@xyz.com",
    "anna.schmidt@example.com",
    "li.wei@example.com",
    "ops-bot@example.com",
    "j.dupont@example.com",
];
const DESCRIPTIONS: &[&str] = &[
    "",
    "Primary data encryption key",
    "Key encryption key for nightly backups",
    "Rotated quarterly by the security team",
    "<b>bold</b> & \"quoted\" description",
    "Tenant-level TDE key",
];

/// The anchor key names, always present.
pub const ANCHORS: &[&str] = &[
    "payroll-master",
    "payroll-archive",
    "payroll-reporting",
    "payroll-ledger",
    "hr-archive-2019",
    "ledger-signing",
    "crm-disabled-01",
];

fn uuid(rng: &mut ChaCha8Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

const BASE_NS: i64 = 1_634_531_058_885_090_000; // 2021-10-18T04:24:18.88509Z

/// Build the demo store for `seed` with `n_keys` keys (at least the anchors and hostile names) in `n_groups` groups.
pub fn generate(seed: u64, n_keys: usize, n_groups: usize, secret: String) -> Store {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_groups = n_groups.max(4);
    let mut groups = Vec::with_capacity(n_groups);
    for i in 0..n_groups {
        let name = GROUP_NAMES.get(i).map(|s| s.to_string()).unwrap_or_else(|| format!("group-{i:03}"));
        let created = BASE_NS + rng.gen_range(0..86_400_000_000_000i64);
        groups.push(GroupRecord {
            id: uuid(&mut rng),
            created_ns: created,
            updated_ns: created + rng.gen_range(0..3_600_000_000_000i64),
            key_store_name: format!("{name}-keystore"),
            name,
            group_id: uuid(&mut rng),
            sap_application: APPS[rng.gen_range(0..APPS.len())].to_string(),
            keystore_id: uuid(&mut rng),
            connection: "sap-connection".to_string(),
            cloud_name: "sap".to_string(),
            tenant: "thales-preprod".to_string(),
            tier: if rng.gen_bool(0.5) { "production" } else { "development" }.to_string(),
            region: ["eu10", "us10", "ap10"][rng.gen_range(0..3)].to_string(),
            provider: ["aws", "azure", "gcp"][rng.gen_range(0..3)].to_string(),
            creator_name: CREATORS[rng.gen_range(0..CREATORS.len())].to_string(),
            acls: Vec::new(),
        });
    }
    crate::acl::seed_demo_acls(&mut groups);
    let group_of = |name: &str| GROUP_NAMES.iter().position(|g| *g == name).unwrap_or(0);

    let mut keys: Vec<KeyRecord> = Vec::with_capacity(n_keys.max(32));
    let mut names: HashSet<String> = HashSet::new();
    let mut push = |rng: &mut ChaCha8Rng, name: String, group: usize, f: &dyn Fn(&mut KeyRecord)| {
        let created = BASE_NS + rng.gen_range(0..400 * 86_400_000_000_000i64) + rng.gen_range(0..1_000_000_000);
        let rsa = rng.gen_bool(0.25);
        let mut k = KeyRecord {
            id: uuid(rng),
            created_ns: created,
            updated_ns: created + rng.gen_range(0..30 * 86_400_000_000_000i64),
            cloud_name: "sap".to_string(),
            tenant: "thales-preprod".to_string(),
            name_lower: name.to_lowercase(),
            name_rank: 0,
            name,
            gone: false,
            description: DESCRIPTIONS[rng.gen_range(0..DESCRIPTIONS.len())].to_string(),
            enabled: true,
            exportable: rng.gen_bool(0.3),
            group,
            sap_key_id: uuid(rng),
            customer_held: rng.gen_bool(0.2),
            key_type: if rsa { "RSA" } else { "AES" }.to_string(),
            size: if rsa { [2048, 3072, 4096][rng.gen_range(0..3)] } else { [128, 192, 256, 256][rng.gen_range(0..4)] },
            meta_created: crate::store::rfc3339((created / 1_000_000_000) * 1_000_000_000),
            creator_name: CREATORS[rng.gen_range(0..CREATORS.len())].to_string(),
            total_versions: rng.gen_range(1..6),
            has_backup: false,
            backup_fails: false,
            active_job: None,
        };
        f(&mut k);
        keys.push(k);
    };
    let present = |k: &mut KeyRecord| {
        k.gone = false;
        k.enabled = true;
        k.has_backup = false;
        k.backup_fails = false;
    };
    for name in &ANCHORS[..4] {
        names.insert(name.to_string());
        push(&mut rng, name.to_string(), group_of("payroll"), &present);
    }
    names.insert("hr-archive-2019".into());
    push(&mut rng, "hr-archive-2019".into(), group_of("hr"), &|k| {
        k.gone = true;
        k.enabled = true;
        k.has_backup = false;
        k.backup_fails = false;
    });
    names.insert("ledger-signing".into());
    push(&mut rng, "ledger-signing".into(), group_of("finance"), &|k| {
        present(k);
        k.backup_fails = true;
    });
    names.insert("crm-disabled-01".into());
    push(&mut rng, "crm-disabled-01".into(), group_of("crm"), &|k| {
        present(k);
        k.enabled = false;
    });

    let long: String = "very-long-key-name-".repeat(30).chars().take(500).collect();
    let hostile: Vec<(String, &str)> = vec![
        ("<script>alert(1)</script>".into(), "<script>alert('desc')</script>"),
        ("<img src=x onerror=alert(1)>".into(), "<img src=x onerror=alert(2)>"),
        ("\"'; DROP TABLE keys;--".into(), "' OR '1'='1"),
        (long, "a 500-character name"),
        ("invoice-\u{202E}gpj.exe".into(), "right-to-left override \u{202E}txet desrever"),
        ("\u{1F511} vault-key \u{1F680}".into(), "emoji \u{1F600}"),
        ("tab\tand\nnewline".into(), ""),
        ("zero\u{200B}width-\u{0000}nul".into(), ""),
        ("{{template}} ${injection} %s%n".into(), "{{7*7}}"),
        ("empty-description".into(), ""),
    ];
    let ng = groups.len();
    let mut made = ANCHORS.len() + hostile.len();
    for (name, desc) in hostile {
        names.insert(name.clone());
        let g = rng.gen_range(0..ng);
        let d = desc.to_string();
        push(&mut rng, name, g, &move |k| {
            present(k);
            k.has_backup = false;
            k.description = d.clone();
        });
    }

    let mut counter = 0usize;
    while made < n_keys {
        let p = PREFIXES[rng.gen_range(0..PREFIXES.len())];
        let s = SUFFIXES[rng.gen_range(0..SUFFIXES.len())];
        counter += 1;
        let mut name = if rng.gen_bool(0.3) && counter < 400 {
            format!("{p}-{s}")
        } else {
            format!("{p}-{s}-{:02}", counter % 100)
        };
        if ANCHORS.iter().any(|a| name.contains(a)) || names.contains(&name) {
            name = format!("{p}-{s}-{counter:05}");
            if ANCHORS.iter().any(|a| name.contains(a)) {
                name = format!("{s}-{p}-{counter:05}");
            }
            if names.contains(&name) {
                continue;
            }
        }
        names.insert(name.clone());
        let g = rng.gen_range(0..ng);
        let roll: f64 = rng.gen();
        let fails = rng.gen_bool(0.05);
        let disabled = rng.gen_bool(0.15);
        push(&mut rng, name, g, &move |k| {
            k.enabled = !disabled;
            k.backup_fails = fails;
            if roll < 0.10 {
                k.gone = true;
                k.has_backup = true;
            } else if roll < 0.15 {
                k.gone = true;
                k.has_backup = false;
            }
        });
        made += 1;
    }
    let mut store = Store { version: crate::store::STORE_VERSION, secret, groups, keys, ..Default::default() };
    store.reindex();
    store
}
