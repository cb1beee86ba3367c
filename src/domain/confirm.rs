//! What the user must type before a job operation is sent.

use crate::api::jobs::Operation;
use crate::domain::key_ref::KeyRef;

/// The confirmation a job operation needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// The user types this text exactly.
    TypeToConfirm(String),
    /// A plain "confirm" button is enough.
    PlainConfirm,
}

/// Deleting one key: type its exact name (or "DELETE 1 KEY" when the name cannot be typed:
/// blank, or holding control or invisible format characters). Deleting n > 1 keys: type "DELETE n KEYS".
/// Restoring: a plain confirmation.
pub(crate) fn required(op: Operation, key_names: &[&str]) -> Confirmation {
    match (op, key_names) {
        (Operation::Restore, _) | (Operation::Delete, []) => Confirmation::PlainConfirm,
        (Operation::Delete, names) => typed("DELETE", names),
    }
}

/// The key's name, or "VERB 1 KEY" when it cannot be typed; "VERB n KEYS" for n > 1.
fn typed(verb: &str, key_names: &[&str]) -> Confirmation {
    match key_names {
        [name] if !(name.trim().is_empty() || name.chars().any(untypeable)) => {
            Confirmation::TypeToConfirm((*name).to_string())
        }
        [_] => Confirmation::TypeToConfirm(format!("{verb} 1 KEY")),
        names => Confirmation::TypeToConfirm(format!("{verb} {} KEYS", names.len())),
    }
}

/// An undo: the typed confirmation a delete needs, whatever its operation (an undo restore
/// types "RESTORE n KEYS"); nothing to post needs none.
pub(crate) fn required_always_typed(op: Operation, keys: &[KeyRef]) -> Confirmation {
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    match names.as_slice() {
        [] => Confirmation::PlainConfirm,
        names => typed(&op.as_str().to_ascii_uppercase(), names),
    }
}

/// A character a user cannot type from what the page shows: control characters, and the
/// invisible format characters (zero-width, bidi overrides and isolates, BOM). A name with a
/// right-to-left override shows reversed ("invoice-\u{202E}gpj.exe" reads "invoice-exe.jpg").
fn untypeable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// [`required`] for planned keys.
pub(crate) fn required_for(op: Operation, keys: &[KeyRef]) -> Confirmation {
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    required(op, &names)
}

impl Confirmation {
    /// Exact match; only one trailing newline ("\n" or "\r\n") is forgiven.
    pub(crate) fn is_satisfied(&self, typed: &str) -> bool {
        match self {
            Confirmation::PlainConfirm => true,
            Confirmation::TypeToConfirm(want) => {
                let t = typed
                    .strip_suffix("\r\n")
                    .or_else(|| typed.strip_suffix('\n'))
                    .unwrap_or(typed);
                t == want
            }
        }
    }

    /// The text to type, if any (the dialog shows it from the variant).
    #[cfg(test)]
    fn text(&self) -> Option<&str> {
        match self {
            Confirmation::TypeToConfirm(t) => Some(t),
            Confirmation::PlainConfirm => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_types_its_name() {
        let c = required(Operation::Delete, &["payroll-master"]);
        assert_eq!(c, Confirmation::TypeToConfirm("payroll-master".into()));
        assert!(c.is_satisfied("payroll-master"));
        assert!(c.is_satisfied("payroll-master\n"));
        assert!(c.is_satisfied("payroll-master\r\n"));
        assert!(!c.is_satisfied("payroll-master\n\n"));
        assert!(!c.is_satisfied("Payroll-Master"));
        assert!(!c.is_satisfied(" payroll-master"));
        assert!(!c.is_satisfied("payroll-master "));
        assert!(!c.is_satisfied("payroll"));
        assert!(!c.is_satisfied(""));
        assert_eq!(c.text(), Some("payroll-master"));
    }

    #[test]
    fn invisible_or_reordering_characters_cannot_be_typed() {
        for name in [
            "invoice-\u{202E}gpj.exe",
            "zero\u{200B}width",
            "a\u{2066}b\u{2069}",
            "\u{FEFF}bom",
            "tab\tname",
        ] {
            let c = required(Operation::Delete, &[name]);
            assert_eq!(
                c,
                Confirmation::TypeToConfirm("DELETE 1 KEY".into()),
                "{name:?}"
            );
        }
        let c = required(Operation::Delete, &["\u{1F511} vault-key \u{1F680}"]);
        assert_eq!(
            c.text(),
            Some("\u{1F511} vault-key \u{1F680}"),
            "emoji can be typed or pasted"
        );
    }

    #[test]
    fn many_keys_type_a_count() {
        let names = ["a"; 12];
        let c = required(Operation::Delete, &names);
        assert_eq!(c, Confirmation::TypeToConfirm("DELETE 12 KEYS".into()));
        assert!(c.is_satisfied("DELETE 12 KEYS"));
        assert!(!c.is_satisfied("delete 12 keys"));
        assert!(!c.is_satisfied("DELETE 11 KEYS"));
        assert_eq!(
            required(Operation::Delete, &["a", "b"]).text(),
            Some("DELETE 2 KEYS")
        );
    }

    #[test]
    fn never_delete_1_keys() {
        for n in 0..50 {
            let names = vec![""; n];
            if let Confirmation::TypeToConfirm(t) = required(Operation::Delete, &names) {
                let expected = match n {
                    1 => "DELETE 1 KEY".to_string(),
                    n => format!("DELETE {n} KEYS"),
                };
                assert_eq!(t, expected);
            }
        }
        assert_eq!(
            required(Operation::Delete, &[""]).text(),
            Some("DELETE 1 KEY")
        );
        assert_eq!(
            required(Operation::Delete, &["a\u{0}b"]).text(),
            Some("DELETE 1 KEY")
        );
        assert_eq!(
            required(Operation::Delete, &["line\nbreak"]).text(),
            Some("DELETE 1 KEY")
        );
    }

    #[test]
    fn restore_and_empty_are_plain() {
        assert_eq!(
            required(Operation::Restore, &["a"]),
            Confirmation::PlainConfirm
        );
        assert_eq!(
            required(Operation::Restore, &["a", "b"]),
            Confirmation::PlainConfirm
        );
        assert_eq!(required(Operation::Delete, &[]), Confirmation::PlainConfirm);
        assert!(Confirmation::PlainConfirm.is_satisfied(""));
        assert_eq!(Confirmation::PlainConfirm.text(), None);
    }

    #[test]
    fn hostile_names_match_exactly() {
        let long = "k".repeat(500);
        let c = required(Operation::Delete, &[&long]);
        assert!(c.is_satisfied(&long));
        assert!(!c.is_satisfied(&long[..499]));
        // A name with a bidi override shows reversed and cannot be typed from what is shown:
        // the phrase to type is then "DELETE 1 KEY", never the name as it looks.
        let rtl = "\u{202e}lanigiro\u{202c}";
        let c = required(Operation::Delete, &[rtl]);
        assert!(c.is_satisfied("DELETE 1 KEY"));
        assert!(!c.is_satisfied(rtl));
        assert!(!c.is_satisfied("lanigiro"));
        let emoji = "🔑 clé-é";
        let c = required(Operation::Delete, &[emoji]);
        assert!(c.is_satisfied(emoji));
        // "é" composed vs decomposed are different strings: no normalisation.
        assert!(!c.is_satisfied("🔑 cle\u{301}-é"));
        let sql = "'; DROP TABLE keys; --";
        assert!(required(Operation::Delete, &[sql]).is_satisfied(sql));
        let spaced = "  padded  ";
        let c = required(Operation::Delete, &[spaced]);
        assert!(c.is_satisfied(spaced));
        assert!(!c.is_satisfied("padded"));
    }

    #[test]
    fn planned_keys() {
        let named = KeyRef {
            id: "i1".into(),
            name: "n1".into(),
            group: None,
            sap_key_id: None,
        };
        let unnamed = KeyRef {
            id: "i2".into(),
            name: String::new(),
            group: None,
            sap_key_id: None,
        };
        assert_eq!(
            required_for(Operation::Delete, std::slice::from_ref(&named)).text(),
            Some("n1")
        );
        assert_eq!(
            required_for(Operation::Delete, std::slice::from_ref(&unnamed)).text(),
            Some("DELETE 1 KEY")
        );
        assert_eq!(
            required_for(Operation::Delete, &[named, unnamed]).text(),
            Some("DELETE 2 KEYS")
        );
    }

    #[test]
    fn an_undo_is_always_typed() {
        let k = |name: &str| KeyRef {
            id: "i".into(),
            name: name.into(),
            group: None,
            sap_key_id: None,
        };
        let one = [k("payroll-master")];
        assert_eq!(
            required_always_typed(Operation::Restore, &one).text(),
            Some("payroll-master")
        );
        assert_eq!(
            required_always_typed(Operation::Restore, &[k("a\u{202E}b")]).text(),
            Some("RESTORE 1 KEY")
        );
        let four = [k("a"), k("b"), k("c"), k("d")];
        assert_eq!(
            required_always_typed(Operation::Restore, &four).text(),
            Some("RESTORE 4 KEYS")
        );
        assert_eq!(
            required_always_typed(Operation::Delete, &four),
            required_for(Operation::Delete, &four)
        );
        assert_eq!(
            required_always_typed(Operation::Delete, &[]),
            Confirmation::PlainConfirm
        );
    }
}
