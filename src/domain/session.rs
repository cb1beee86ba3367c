//! The JWT's claims (read, never verified) and when to refresh the token.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::Value;

use crate::api::read::{FromJson, Obj};

/// Lifetime assumed when neither the token nor the answer gives one.
pub const DEFAULT_LIFETIME_S: u64 = 300;
/// Refresh at least this long before expiry...
pub const REFRESH_MARGIN_MS: u64 = 30_000;
/// ...but never sooner than this.
pub const MIN_REFRESH_DELAY_MS: u64 = 1000;

/// The claims the page reads from the JWT.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    pub exp: Option<u64>,
    pub iat: Option<u64>,
    pub preferred_username: Option<String>,
    pub sub: Option<String>,
}

impl FromJson for Claims {
    const SHAPE: &'static str = "an object";
    fn from_json(v: Value) -> Option<Self> {
        let mut o = Obj::new(v)?;
        Some(Claims {
            exp: o.opt_u64("exp"),
            iat: o.opt_u64("iat"),
            preferred_username: o.opt_string("preferred_username"),
            sub: o.opt_string("sub"),
        })
    }
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
    Claims::from_json(serde_json::from_str::<Value>(std::str::from_utf8(&bytes).ok()?).ok()?)
}

/// How long to wait before refreshing a token received at `now_ms`: 80% of the time left,
/// but at least 30 s before expiry, and never less than 1 s. The time left is `exp - now` when
/// the local clock agrees with the token (now within [iat, exp)), else the token's lifetime
/// (`exp - iat`), else `duration_s`, else 300 s.
pub fn refresh_delay_ms(now_ms: f64, claims: Option<&Claims>, duration_s: Option<u64>) -> u64 {
    let now_ms = if now_ms.is_finite() && now_ms > 0.0 {
        now_ms as u64
    } else {
        0
    };
    let lifetime_s = claims
        .and_then(Claims::lifetime_s)
        .or(duration_s.filter(|d| *d > 0))
        .unwrap_or(DEFAULT_LIFETIME_S);
    let now_s = now_ms / 1000;
    let left_ms = match claims.and_then(|c| c.iat.zip(c.exp)) {
        Some((iat, exp)) if iat <= now_s && now_s < exp => {
            exp.saturating_mul(1000).saturating_sub(now_ms)
        }
        _ => lifetime_s.saturating_mul(1000),
    };
    let at_80 = left_ms / 5 * 4;
    let before_margin = left_ms.saturating_sub(REFRESH_MARGIN_MS);
    at_80.min(before_margin).max(MIN_REFRESH_DELAY_MS)
}

/// Who is logged in, as the page names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionUser {
    /// `preferred_username`, else the username typed at log-in.
    pub name: String,
    pub sub: Option<String>,
}

impl SessionUser {
    pub fn new(typed_username: &str, claims: Option<&Claims>) -> SessionUser {
        let name = claims
            .and_then(|c| c.preferred_username.as_deref())
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(typed_username.trim())
            .to_string();
        SessionUser {
            name,
            sub: claims.and_then(|c| c.sub.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload)
        )
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
    fn refresh_at_eighty_percent() {
        assert_eq!(refresh_delay_ms(0.0, None, Some(300)), 240_000);
        assert_eq!(refresh_delay_ms(0.0, None, None), 240_000);
        assert_eq!(refresh_delay_ms(0.0, None, Some(0)), 240_000);
        assert_eq!(refresh_delay_ms(0.0, None, Some(3600)), 2_880_000);
    }

    #[test]
    fn refresh_margin_and_floor() {
        // 100 s: 80% = 80 s, but 30 s before expiry = 70 s.
        assert_eq!(refresh_delay_ms(0.0, None, Some(100)), 70_000);
        let five = refresh_delay_ms(0.0, None, Some(5));
        assert!((1000..=4000).contains(&five), "{five}");
        assert_eq!(refresh_delay_ms(0.0, None, Some(1)), 1000);
    }

    #[test]
    fn claims_win_over_duration() {
        let c = Claims {
            iat: Some(1000),
            exp: Some(1600),
            ..Default::default()
        };
        // Clock out of the token's window: the lifetime (600 s) counts.
        assert_eq!(refresh_delay_ms(0.0, Some(&c), Some(300)), 480_000);
        // Clock inside the window: time left is measured from now.
        assert_eq!(refresh_delay_ms(1_100_000.0, Some(&c), Some(300)), 400_000);
        let bad = Claims {
            iat: Some(2000),
            exp: Some(1000),
            ..Default::default()
        };
        assert_eq!(refresh_delay_ms(0.0, Some(&bad), Some(300)), 240_000);
    }

    #[test]
    fn session_user_name() {
        let c = Claims {
            preferred_username: Some("alice".into()),
            sub: Some("local|1".into()),
            ..Default::default()
        };
        let u = SessionUser::new("admin", Some(&c));
        assert_eq!(u.name, "alice");
        assert_eq!(u.sub.as_deref(), Some("local|1"));
        assert_eq!(SessionUser::new(" admin ", None).name, "admin");
        let blank = Claims {
            preferred_username: Some("  ".into()),
            ..Default::default()
        };
        assert_eq!(SessionUser::new("bob", Some(&blank)).name, "bob");
    }
}
