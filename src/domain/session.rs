//! When to refresh the token, from its claims.

use crate::api::tokens::Claims;

/// Lifetime assumed when neither the token nor the answer gives one.
pub(crate) const DEFAULT_LIFETIME_S: u64 = 300;
/// Refresh at least this long before expiry...
pub(crate) const REFRESH_MARGIN_MS: u64 = 30_000;
/// ...but never sooner than this.
pub(crate) const MIN_REFRESH_DELAY_MS: u64 = 1000;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
