//! Who signs in, and where: the user name, the CipherTrust domain and the authentication source.
//! The same name in two domains is two people, so every per-user thing is keyed by both.

/// The manager's built-in authentication source.
pub const LOCAL_ACCOUNT: &str = "local_account";

/// A user as the manager knows them: name, domain ("" is the root domain) and connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SignIn {
    pub user: String,
    pub domain: String,
    pub connection: String,
}

impl SignIn {
    /// Trims each part; a blank or `root` domain is the root domain, a blank connection `local_account`.
    pub fn new(user: &str, domain: &str, connection: &str) -> SignIn {
        let domain = domain.trim();
        let connection = connection.trim();
        SignIn {
            user: user.trim().to_string(),
            domain: if domain.eq_ignore_ascii_case("root") { String::new() } else { domain.to_string() },
            connection: if connection.is_empty() { LOCAL_ACCOUNT.to_string() } else { connection.to_string() },
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

    /// How the header names the domain.
    pub fn domain_label(&self) -> String {
        if self.is_root_domain() {
            "root domain".to_string()
        } else {
            format!("domain {}", self.domain)
        }
    }

    /// A stable identity for keys and component keys: the domain, then the user.
    pub fn owner_key(&self) -> String {
        format!("{}\u{1f}{}", self.domain, self.user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_root_and_connection() {
        let s = SignIn::new(" admin ", " Root ", "");
        assert_eq!(s, SignIn { user: "admin".into(), domain: "".into(), connection: LOCAL_ACCOUNT.into() });
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
        assert_eq!(a.owner_key(), SignIn::new("bob", "root", LOCAL_ACCOUNT).owner_key());
    }
}
