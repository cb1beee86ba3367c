//! Logging in: the token request, the manager's answer, the tokens the page keeps (in memory and
//! sessionStorage) and the JWT's claims (read, never verified).
use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::api::decode::parse_json;
use crate::api::lenient;
use crate::api::sign_in::{SignIn, LOCAL_ACCOUNT};

/// The body of `POST /api/v1/auth/tokens`. Its `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "grant_type", rename_all = "snake_case")]
pub enum TokenRequest {
    Password {
        username: String,
        password: String,
        /// The CipherTrust domain to log into; absent means the root domain.
        #[serde(skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
        /// The user's home domain, when it is not the domain logged into.
        #[serde(skip_serializing_if = "Option::is_none")]
        auth_domain: Option<String>,
        /// The authentication source: `local_account` or an LDAP/OIDC connection's name.
        #[serde(skip_serializing_if = "Option::is_none")]
        connection: Option<String>,
    },
    RefreshToken {
        refresh_token: String,
    },
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenRequest::Password {
                username,
                domain,
                auth_domain,
                connection,
                ..
            } => f
                .debug_struct("Password")
                .field("username", username)
                .field("domain", domain)
                .field("auth_domain", auth_domain)
                .field("connection", connection)
                .field("password", &"<hidden>")
                .finish(),
            TokenRequest::RefreshToken { .. } => f
                .debug_struct("RefreshToken")
                .field("refresh_token", &"<hidden>")
                .finish(),
        }
    }
}

/// The manager's answer to a token request. Its `Debug` never shows a token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct TokenResponse {
    #[serde(deserialize_with = "lenient::string")]
    pub jwt: String,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub duration: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub token_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub refresh_token: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub refresh_token_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub client_id: Option<String>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("jwt", &"<hidden>")
            .field("duration", &self.duration)
            .field("token_type", &self.token_type)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<hidden>"),
            )
            .field("refresh_token_id", &self.refresh_token_id)
            .field("client_id", &self.client_id)
            .finish()
    }
}

/// What the page holds after logging in: in memory and in sessionStorage, never localStorage.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
pub struct Tokens {
    #[serde(deserialize_with = "lenient::string")]
    pub jwt: String,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub refresh_token: Option<String>,
    /// The JWT's `preferred_username`, else the name typed at log-in.
    #[serde(deserialize_with = "lenient::string")]
    pub user: String,
    /// The domain logged into ("" is the root domain) and the authentication source.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub domain: String,
    /// The user's home domain when it is not `domain`, else "".
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub auth_domain: String,
    #[serde(default = "local_account", deserialize_with = "connection_or_local")]
    pub connection: String,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub duration_s: Option<u64>,
    #[serde(deserialize_with = "lenient::required")]
    pub received_ms: f64,
}

fn local_account() -> String {
    LOCAL_ACCOUNT.to_string()
}

fn connection_or_local<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient::opt(d)?.unwrap_or_else(local_account))
}

impl Tokens {
    /// The tokens of a granted request by `who`, received at `now_ms`: the user is the token's
    /// `preferred_username` when it names one, else the name `who` typed.
    pub fn from_grant(t: TokenResponse, who: &SignIn, now_ms: f64) -> Tokens {
        let user = decode_claims(&t.jwt)
            .and_then(|c| c.preferred_username)
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| who.user.trim().to_string());
        Tokens {
            jwt: t.jwt,
            refresh_token: t.refresh_token,
            user,
            domain: who.domain.clone(),
            auth_domain: who.auth_domain.clone(),
            connection: who.connection.clone(),
            duration_s: t.duration,
            received_ms: now_ms,
        }
    }

    pub fn claims(&self) -> Option<Claims> {
        decode_claims(&self.jwt)
    }

    /// Who holds these tokens, and where.
    pub fn sign_in(&self) -> SignIn {
        SignIn {
            user: self.user.clone(),
            domain: self.domain.clone(),
            auth_domain: self.auth_domain.clone(),
            connection: self.connection.clone(),
        }
    }
}

/// The claims the page reads from the JWT.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Claims {
    #[serde(default, deserialize_with = "lenient::opt")]
    pub exp: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub iat: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub preferred_username: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt")]
    pub sub: Option<String>,
}

impl Claims {
    /// `exp - iat`, when both are there and sensible.
    pub fn lifetime_s(&self) -> Option<u64> {
        match (self.iat, self.exp) {
            (Some(i), Some(e)) if e > i => Some(e - i),
            _ => None,
        }
    }
}

const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Reads the payload of a JWT. Never verifies; `None` on anything malformed.
pub fn decode_claims(jwt: &str) -> Option<Claims> {
    let mut parts = jwt.trim().split('.');
    let _header = parts.next()?;
    let payload = parts.next()?;
    let bytes = URL_SAFE_LENIENT.decode(payload).ok()?;
    parse_json(std::str::from_utf8(&bytes).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::decode::{parse_json, to_json, DecodeError};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    fn answer(jwt: &str) -> TokenResponse {
        TokenResponse {
            jwt: jwt.into(),
            duration: Some(300),
            token_type: None,
            refresh_token: Some("rt".into()),
            refresh_token_id: None,
            client_id: None,
        }
    }

    #[test]
    fn token_request_serializes_exactly() {
        let p = TokenRequest::Password {
            username: "admin".into(),
            password: "pw".into(),
            domain: None,
            auth_domain: None,
            connection: None,
        };
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"grant_type":"password","username":"admin","password":"pw"})
        );
        let d = TokenRequest::Password {
            username: "ana".into(),
            password: "pw".into(),
            domain: Some("eu-payments".into()),
            auth_domain: Some("root".into()),
            connection: Some("corp-ldap".into()),
        };
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            json!({"grant_type":"password","username":"ana","password":"pw","domain":"eu-payments","auth_domain":"root","connection":"corp-ldap"})
        );
        let r = TokenRequest::RefreshToken {
            refresh_token: "rt".into(),
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"grant_type":"refresh_token","refresh_token":"rt"})
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let p = TokenRequest::Password {
            username: "admin".into(),
            password: "s3cret".into(),
            domain: None,
            auth_domain: None,
            connection: Some("corp-ldap".into()),
        };
        assert!(!format!("{p:?}").contains("s3cret"));
        let r = TokenRequest::RefreshToken {
            refresh_token: "rtok".into(),
        };
        assert!(!format!("{r:?}").contains("rtok"));
        let t: TokenResponse =
            parse_json(r#"{"jwt":"eyJhbGci.x.y","refresh_token":"rtok","duration":300}"#).unwrap();
        let d = format!("{t:?}");
        assert!(!d.contains("eyJ") && !d.contains("rtok"), "{d}");
    }

    #[test]
    fn token_response_full_and_minimal() {
        let t: TokenResponse = parse_json(
            r#"{"jwt":"a.b.c","duration":300,"token_type":"Bearer","client_id":"c",
                "refresh_token_id":"i","refresh_token":"r","extra":1}"#,
        )
        .unwrap();
        assert_eq!(t.duration, Some(300));
        assert_eq!(t.refresh_token.as_deref(), Some("r"));
        assert_eq!(t.client_id.as_deref(), Some("c"));
        let m: TokenResponse = parse_json(r#"{"jwt":"a.b.c","duration":"300.0x"}"#).unwrap();
        assert_eq!(m.duration, None);
        assert_eq!(m.refresh_token, None);
        let f: TokenResponse = parse_json(r#"{"jwt":"a.b.c","duration":300.0}"#).unwrap();
        assert_eq!(f.duration, Some(300));
        assert!(matches!(
            parse_json::<TokenResponse>("{}"),
            Err(DecodeError::WrongShape(_))
        ));
    }

    #[test]
    fn decodes_claims() {
        let t = jwt(
            r#"{"sub":"local|1b0d","iss":"kylo","preferred_username":"admin","cust":{"groups":["admin"]},
               "iat":1637747685,"exp":1637747985,"jwtid":"x"}"#,
        );
        let c = decode_claims(&t).unwrap();
        assert_eq!(c.exp, Some(1_637_747_985));
        assert_eq!(c.iat, Some(1_637_747_685));
        assert_eq!(c.preferred_username.as_deref(), Some("admin"));
        assert_eq!(c.sub.as_deref(), Some("local|1b0d"));
        assert_eq!(c.lifetime_s(), Some(300));
    }

    #[test]
    fn padded_payload_and_url_chars() {
        let payload = base64::engine::general_purpose::URL_SAFE.encode(r#"{"sub":"a?>>"}"#);
        let c = decode_claims(&format!("h.{payload}.s")).unwrap();
        assert_eq!(c.sub.as_deref(), Some("a?>>"));
    }

    #[test]
    fn garbage_never_panics() {
        for t in [
            "",
            ".",
            "..",
            "abc",
            "a.b.c",
            "a.!!!.c",
            "a.e30",
            "\u{0}.\u{1}",
            "a.bnVsbA.c",
        ] {
            let _ = decode_claims(t);
        }
        assert_eq!(decode_claims("a.e30.c"), Some(Claims::default()));
        assert_eq!(decode_claims("abc"), None);
        assert_eq!(decode_claims(&jwt("[1,2]")), None);
        assert_eq!(
            decode_claims(&jwt(r#"{"exp":"soon","iat":-5}"#)),
            Some(Claims::default())
        );
    }

    #[test]
    fn the_user_is_the_token_s_name_else_the_typed_one() {
        let who = SignIn::new("admin", "eu-payments", "corp-ldap").with_home("root");
        let t = Tokens::from_grant(
            answer(&jwt(r#"{"preferred_username":" alice ","sub":"local|1"}"#)),
            &who,
            5.0,
        );
        assert_eq!(t.user, "alice");
        assert_eq!(
            (
                t.domain.as_str(),
                t.auth_domain.as_str(),
                t.connection.as_str()
            ),
            ("eu-payments", "root", "corp-ldap")
        );
        assert_eq!(
            (t.refresh_token.as_deref(), t.duration_s, t.received_ms),
            (Some("rt"), Some(300), 5.0)
        );
        assert_eq!(t.sign_in().ledger_user(), "root\\alice");
        let blank = Tokens::from_grant(answer(&jwt(r#"{"preferred_username":"  "}"#)), &who, 0.0);
        assert_eq!(blank.user, "admin");
        let opaque = Tokens::from_grant(answer("not-a-jwt"), &who, 0.0);
        assert_eq!(opaque.user, "admin");
    }

    #[test]
    fn stored_tokens_round_trip() {
        let who = SignIn::new("admin", "", "");
        let t = Tokens::from_grant(answer(&jwt("{}")), &who, 1_700_000_000_123.5);
        let text = to_json(&t).unwrap();
        assert_eq!(parse_json::<Tokens>(&text), Ok(t.clone()));
        let none = Tokens {
            refresh_token: None,
            duration_s: None,
            ..t
        };
        assert_eq!(parse_json::<Tokens>(&to_json(&none).unwrap()), Ok(none));
    }

    #[test]
    fn stored_tokens_read_leniently() {
        let t: Tokens = parse_json(
            r#"{"jwt":"a.b.c","user":"bob","received_ms":"12.5","duration_s":"300",
                "domain":7,"connection":null,"refresh_token":["x"],"future":1}"#,
        )
        .unwrap();
        assert_eq!(t.received_ms, 12.5);
        assert_eq!(t.duration_s, Some(300));
        assert_eq!(t.domain, "7");
        assert_eq!(t.connection, LOCAL_ACCOUNT);
        assert_eq!(t.refresh_token, None);
        assert_eq!(t.auth_domain, "");
        for broken in [
            r#"{"jwt":"a.b.c","user":"bob"}"#,
            r#"{"jwt":"a.b.c","user":"bob","received_ms":"soon"}"#,
            r#"{"jwt":1,"user":"bob","received_ms":1}"#,
            r#"{"jwt":"a.b.c","received_ms":1}"#,
        ] {
            assert!(
                matches!(
                    parse_json::<Tokens>(broken),
                    Err(DecodeError::WrongShape(_))
                ),
                "{broken}"
            );
        }
        let j = json!({"jwt":"a.b.c","user":"bob","received_ms":1});
        assert!(parse_json::<Tokens>(&j.to_string()).is_ok());
    }
}
