//! Users, domains and authentication sources: the demo users, the `--user` flag's user, and how a
//! password grant (`username`, `password`, `domain`, `auth_domain`, `connection`) finds its user.
//!
//! Simulator choices [S]:
//! - Domains: `root` (the default when `domain` is absent or empty) and `eu-payments`. A domain's
//!   id (`cust.domain_id`) is the nil UUID for root and a stable UUID derived from its name otherwise.
//! - Connections: `local_account` (the default) and the LDAP-like `corp-ldap`.
//! - A user is (name, home domain, connection): the same name in two domains, or from two
//!   connections, is two users with two different `sub`s. `sub` is `local|<uuid>` for
//!   `local_account` users and `ldap|<uuid>` for `corp-ldap` users.
//! - `auth_domain` names the user's home domain when it differs from `domain`; such a cross-domain
//!   login is accepted for members of the `admin` user group only.
//! - Members of the user group `admin` may do everything in every SAP group (they bypass ACLs).
//! - Keys and groups are one store, visible from every domain (subject to ACLs).

use crate::Config;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const ROOT_DOMAIN: &str = "root";
pub const EU_DOMAIN: &str = "eu-payments";
pub const DOMAINS: &[&str] = &[ROOT_DOMAIN, EU_DOMAIN];
pub const LOCAL_ACCOUNT: &str = "local_account";
pub const LDAP_CONNECTION: &str = "corp-ldap";
pub const CONNECTIONS: &[&str] = &[LOCAL_ACCOUNT, LDAP_CONNECTION];

/// User groups (the JWT's `cust.groups`) that the demo ACLs name.
pub const ADMIN_GROUP: &str = "admin";
pub const CUSTODIANS_GROUP: &str = "key-custodians";
pub const AUDITORS_GROUP: &str = "key-auditors";
pub const LDAP_CUSTODIANS_GROUP: &str = "ldap-custodians";

/// The user id the simulator gives a root-domain `local_account` user name (stable across restarts).
pub fn user_id(username: &str) -> Uuid {
    uuid_of(&format!("cckm-sim-user:{username}"))
}

fn uuid_of(seed: &str) -> Uuid {
    let digest = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid()
}

/// The id of a domain: nil for root, a stable UUID from the name otherwise.
pub fn domain_id(domain: &str) -> Uuid {
    if domain == ROOT_DOMAIN {
        Uuid::nil()
    } else {
        uuid_of(&format!("cckm-sim-domain:{domain}"))
    }
}

/// `domain` as given in a request (absent or empty means root).
pub fn domain_or_root(domain: Option<&str>) -> &str {
    match domain {
        Some(d) if !d.is_empty() => d,
        _ => ROOT_DOMAIN,
    }
}

/// `connection` as given in a request (absent or empty means `local_account`).
pub fn connection_or_local(connection: Option<&str>) -> &str {
    match connection {
        Some(c) if !c.is_empty() => c,
        _ => LOCAL_ACCOUNT,
    }
}

/// One user the token endpoint accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub domain: String,
    pub connection: String,
    pub password: String,
    pub groups: Vec<String>,
}

impl User {
    fn new(name: &str, domain: &str, connection: &str, groups: &[&str]) -> User {
        User {
            name: name.into(),
            domain: domain.into(),
            connection: connection.into(),
            password: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    /// The user's UUID (the part of `sub` after `|`).
    pub fn uuid(&self) -> Uuid {
        if self.domain == ROOT_DOMAIN && self.connection == LOCAL_ACCOUNT {
            user_id(&self.name)
        } else {
            uuid_of(&format!("cckm-sim-user:{}/{}/{}", self.domain, self.connection, self.name))
        }
    }

    /// The JWT's `sub`: `local|<uuid>` or `ldap|<uuid>`.
    pub fn sub(&self) -> String {
        let kind = if self.connection == LOCAL_ACCOUNT { "local" } else { "ldap" };
        format!("{kind}|{}", self.uuid())
    }

    pub fn is_admin(&self) -> bool {
        self.groups.iter().any(|g| g == ADMIN_GROUP)
    }
}

/// The demo users (each with its own name as password) and the `--user` flag's user.
#[derive(Debug, Clone)]
pub struct Users {
    users: Vec<User>,
    /// Each user's `sub`, in the same order (looked up on every request).
    subs: Vec<String>,
}

impl Users {
    /// The built-in demo users: see the README's "Demo users and simulator options".
    pub fn demo() -> Vec<User> {
        vec![
            User::new("admin", ROOT_DOMAIN, LOCAL_ACCOUNT, &[ADMIN_GROUP]),
            User::new("custodian", ROOT_DOMAIN, LOCAL_ACCOUNT, &[CUSTODIANS_GROUP]),
            User::new("auditor", ROOT_DOMAIN, LOCAL_ACCOUNT, &[AUDITORS_GROUP]),
            User::new("ldap-custodian", ROOT_DOMAIN, LDAP_CONNECTION, &[LDAP_CUSTODIANS_GROUP]),
            User::new("eu-admin", EU_DOMAIN, LOCAL_ACCOUNT, &[ADMIN_GROUP]),
            // The same name as the root administrator: another person, with another `sub`.
            User::new("admin", EU_DOMAIN, LOCAL_ACCOUNT, &[ADMIN_GROUP]),
        ]
    }

    /// The demo users plus `--user`/`--password`: an administrator of the root domain from
    /// `local_account`, replacing a demo user of the same name there.
    pub fn from_config(config: &Config) -> Users {
        let mut users = Self::demo();
        users.retain(|u| !(u.name == config.user && u.domain == ROOT_DOMAIN && u.connection == LOCAL_ACCOUNT));
        let mut extra = User::new(&config.user, ROOT_DOMAIN, LOCAL_ACCOUNT, &[ADMIN_GROUP]);
        extra.password = config.password.clone();
        users.push(extra);
        let subs = users.iter().map(User::sub).collect();
        Users { users, subs }
    }

    /// The user (name, home domain, connection), if any.
    pub fn find(&self, name: &str, domain: &str, connection: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name && u.domain == domain && u.connection == connection)
    }

    /// The user a token's `sub` and `preferred_username` name, if it still exists.
    pub fn by_sub(&self, sub: &str, name: &str) -> Option<&User> {
        self.users.iter().zip(&self.subs).find(|(u, s)| u.name == name && *s == sub).map(|(u, _)| u)
    }

    /// The user a password grant logs in, and the domain it logs into; `None` for every refusal
    /// (wrong password, unknown user, wrong domain or connection), so they all look alike.
    pub fn authenticate(&self, login: &Login<'_>) -> Option<(&User, &'static str)> {
        let target = DOMAINS.iter().find(|d| **d == domain_or_root(login.domain))?;
        let home = match login.auth_domain {
            Some(a) if !a.is_empty() => a,
            _ => target,
        };
        let connection = connection_or_local(login.connection);
        let mut found = None;
        let mut ok = false;
        // Compare against every user so timing says nothing about which part was wrong.
        for u in &self.users {
            let same = u.name == login.username && u.domain == home && u.connection == connection;
            let pass = constant_eq(login.password.as_bytes(), u.password.as_bytes());
            if same {
                ok = pass;
                found = Some(u);
            }
        }
        let user = found.filter(|_| ok)?;
        (user.domain == *target || user.is_admin()).then_some((user, *target))
    }
}

/// The identity fields of a password grant.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub domain: Option<&'a str>,
    pub auth_domain: Option<&'a str>,
    pub connection: Option<&'a str>,
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login<'a>(u: &'a str, p: &'a str, d: Option<&'a str>, a: Option<&'a str>, c: Option<&'a str>) -> Login<'a> {
        Login { username: u, password: p, domain: d, auth_domain: a, connection: c }
    }

    #[test]
    fn domains_and_connections_pick_the_user() {
        let users = Users::from_config(&Config::default());
        let ok = |l| users.authenticate(&l).map(|(u, d)| (u.name.clone(), d));
        assert_eq!(ok(login("admin", "admin", None, None, None)), Some(("admin".into(), ROOT_DOMAIN)));
        assert_eq!(
            ok(login("eu-admin", "eu-admin", Some(EU_DOMAIN), None, None)),
            Some(("eu-admin".into(), EU_DOMAIN))
        );
        assert_eq!(ok(login("eu-admin", "eu-admin", None, None, None)), None);
        assert_eq!(ok(login("ldap-custodian", "ldap-custodian", None, None, None)), None);
        assert!(ok(login("ldap-custodian", "ldap-custodian", None, None, Some(LDAP_CONNECTION))).is_some());
        assert_eq!(ok(login("custodian", "custodian", None, None, Some(LDAP_CONNECTION))), None);
        assert_eq!(ok(login("custodian", "custodian", Some("nowhere"), None, None)), None);
        // auth_domain: the home domain; cross-domain only for admins.
        assert!(ok(login("eu-admin", "eu-admin", Some(EU_DOMAIN), Some(EU_DOMAIN), None)).is_some());
        assert_eq!(
            ok(login("admin", "admin", Some(EU_DOMAIN), Some(ROOT_DOMAIN), None)),
            Some(("admin".into(), EU_DOMAIN))
        );
        assert_eq!(ok(login("custodian", "custodian", Some(EU_DOMAIN), Some(ROOT_DOMAIN), None)), None);
        assert_eq!(ok(login("custodian", "wrong", None, None, None)), None);
        let root = users.authenticate(&login("admin", "admin", None, None, None)).unwrap().0;
        let eu = users.authenticate(&login("admin", "admin", Some(EU_DOMAIN), None, None)).unwrap().0;
        assert_ne!(root.sub(), eu.sub());
        assert_eq!(eu.domain, EU_DOMAIN);
    }

    #[test]
    fn subs_differ_by_domain_and_connection_and_keep_the_old_admin_id() {
        let a = User::new("x", ROOT_DOMAIN, LOCAL_ACCOUNT, &[]);
        let b = User::new("x", EU_DOMAIN, LOCAL_ACCOUNT, &[]);
        let c = User::new("x", ROOT_DOMAIN, LDAP_CONNECTION, &[]);
        assert_eq!(a.sub(), format!("local|{}", user_id("x")));
        assert_ne!(a.sub(), b.sub());
        assert_ne!(a.uuid(), c.uuid());
        assert!(c.sub().starts_with("ldap|"));
        assert_eq!(domain_id(ROOT_DOMAIN), Uuid::nil());
        assert_eq!(domain_id(EU_DOMAIN), domain_id(EU_DOMAIN));
        assert_ne!(domain_id(EU_DOMAIN), Uuid::nil());
    }

    #[test]
    fn the_user_flag_replaces_or_adds_a_root_admin() {
        let cfg = Config { password: "pw".into(), ..Config::default() };
        let users = Users::from_config(&cfg);
        assert!(users.authenticate(&login("admin", "admin", None, None, None)).is_none());
        assert!(users.authenticate(&login("admin", "pw", None, None, None)).is_some());
        let cfg = Config { user: "bob".into(), password: "pw".into(), ..Config::default() };
        let users = Users::from_config(&cfg);
        let (bob, _) = users.authenticate(&login("bob", "pw", None, None, None)).unwrap();
        assert!(bob.is_admin());
        assert!(users.authenticate(&login("admin", "admin", None, None, None)).is_some());
    }
}
