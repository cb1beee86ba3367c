//! Who signs in, and where: the user name, the CipherTrust domain and the authentication source.
//! The same name in two domains is two people, so every per-user thing is keyed by both.

/// The manager's built-in authentication source.
pub const LOCAL_ACCOUNT: &str = "local_account";

/// A user as the manager knows them: name, domain ("" is the root domain), home domain ("" when
/// it is the domain logged into) and connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SignIn {
    pub user: String,
    pub domain: String,
    pub auth_domain: String,
    pub connection: String,
}

fn is_root(domain: &str) -> bool {
    domain.is_empty() || domain.eq_ignore_ascii_case("root")
}

impl SignIn {
    /// Trims each part; a blank or `root` domain is the root domain, a blank connection `local_account`.
    pub fn new(user: &str, domain: &str, connection: &str) -> SignIn {
        let domain = domain.trim();
        let connection = connection.trim();
        SignIn {
            user: user.trim().to_string(),
            domain: if is_root(domain) {
                String::new()
            } else {
                domain.to_string()
            },
            auth_domain: String::new(),
            connection: if connection.is_empty() {
                LOCAL_ACCOUNT.to_string()
            } else {
                connection.to_string()
            },
        }
    }

    /// The user's home domain, when they log into another one; the same domain counts as none.
    pub fn with_home(mut self, auth_domain: &str) -> SignIn {
        let home = auth_domain.trim();
        let same = if is_root(home) {
            self.domain.is_empty()
        } else {
            home == self.domain
        };
        self.auth_domain = if same {
            String::new()
        } else {
            home.to_string()
        };
        self
    }

    /// The `auth_domain` of the password grant: only for a home domain other than the one logged into.
    pub fn auth_domain_param(&self) -> Option<String> {
        (!self.auth_domain.is_empty()).then(|| self.auth_domain.clone())
    }

    /// Who owns a ledger in the domain logged into: the name, qualified by a home domain
    /// (`root\admin`), so a visitor from another domain never shares a local user's ledger.
    pub fn ledger_user(&self) -> String {
        if self.auth_domain.is_empty() {
            self.user.clone()
        } else {
            format!("{}\\{}", self.auth_domain, self.user)
        }
    }

    /// The `domain` of the password grant: absent for the root domain.
    pub fn domain_param(&self) -> Option<String> {
        (!self.domain.is_empty()).then(|| self.domain.clone())
    }

    /// The `connection` of the password grant: always sent, `local_account` by default.
    pub fn connection_param(&self) -> Option<String> {
        Some(self.connection.clone())
    }

    pub fn is_root_domain(&self) -> bool {
        self.domain.is_empty()
    }

    /// How the header names the domain (and the home domain of a visitor).
    pub fn domain_label(&self) -> String {
        let here = if self.is_root_domain() {
            "root domain".to_string()
        } else {
            format!("domain {}", self.domain)
        };
        if self.auth_domain.is_empty() {
            here
        } else {
            format!("{here} (home: {})", self.auth_domain)
        }
    }

    /// A stable identity for keys and component keys: the domain, then the user.
    pub fn owner_key(&self) -> String {
        format!("{}\u{1f}{}", self.domain, self.ledger_user())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_root_and_connection() {
        let s = SignIn::new(" admin ", " Root ", "");
        assert_eq!(
            s,
            SignIn {
                user: "admin".into(),
                domain: "".into(),
                auth_domain: "".into(),
                connection: LOCAL_ACCOUNT.into()
            }
        );
        assert_eq!(s.domain_param(), None);
        assert_eq!(s.connection_param().as_deref(), Some("local_account"));
        assert_eq!(s.domain_label(), "root domain");
    }

    #[test]
    fn sub_domain_and_ldap() {
        let s = SignIn::new("ana", "eu-payments", " corp-ldap ");
        assert_eq!(s.domain_param().as_deref(), Some("eu-payments"));
        assert_eq!(s.connection_param().as_deref(), Some("corp-ldap"));
        assert_eq!(s.domain_label(), "domain eu-payments");
        assert!(!s.is_root_domain());
    }

    #[test]
    fn same_name_in_two_domains_is_two_owners() {
        let a = SignIn::new("bob", "", "");
        let b = SignIn::new("bob", "eu-payments", "");
        assert_ne!(a.owner_key(), b.owner_key());
        assert_eq!(
            a.owner_key(),
            SignIn::new("bob", "root", LOCAL_ACCOUNT).owner_key()
        );
    }

    #[test]
    fn a_visitor_from_another_domain() {
        let v = SignIn::new("admin", "eu-payments", "").with_home(" root ");
        assert_eq!(v.auth_domain_param().as_deref(), Some("root"));
        assert_eq!(v.domain_label(), "domain eu-payments (home: root)");
        assert_eq!(v.ledger_user(), "root\\admin");
        let local = SignIn::new("admin", "eu-payments", "");
        assert_ne!(
            v.owner_key(),
            local.owner_key(),
            "the visitor is not the domain's own admin"
        );
        // The home domain equal to the domain logged into is no home domain at all.
        assert_eq!(
            SignIn::new("a", "", "")
                .with_home("root")
                .auth_domain_param(),
            None
        );
        assert_eq!(
            SignIn::new("a", "eu", "")
                .with_home("eu")
                .auth_domain_param(),
            None
        );
        assert_eq!(SignIn::new("a", "eu", "").with_home("").ledger_user(), "a");
    }
}
