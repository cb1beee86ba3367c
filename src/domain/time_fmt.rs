//! Short human times: "3 min ago", and RFC 3339 stamps without nanoseconds.

/// "just now", "12 s ago", "3 min ago", "2 h ago", "4 d ago". Future times read "just now".
pub(crate) fn ago(now_ms: f64, then_ms: f64) -> String {
    let d = now_ms - then_ms;
    if !d.is_finite() || d < 2000.0 {
        return "just now".to_string();
    }
    let s = (d / 1000.0).floor() as u64;
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// "2021-11-24 09:54:45 UTC" for a time in ms since the epoch ("" if not a sane time).
pub(crate) fn clock(ms: f64) -> String {
    if !ms.is_finite() || !(0.0..=253_402_300_799_000.0).contains(&ms) {
        return String::new();
    }
    let secs = (ms / 1000.0).floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

struct Parts<'a> {
    date: &'a str,
    time: &'a str,
    frac: &'a str,
    zone: &'a str,
}

fn split_rfc3339(s: &str) -> Option<Parts<'_>> {
    let b = s.as_bytes();
    if b.len() < 20 || !s.is_ascii() {
        return None;
    }
    let digit = |i: usize| b[i].is_ascii_digit();
    let ok = (0..4).all(digit)
        && b[4] == b'-'
        && (5..7).all(digit)
        && b[7] == b'-'
        && (8..10).all(digit)
        && matches!(b[10], b'T' | b't' | b' ')
        && (11..13).all(digit)
        && b[13] == b':'
        && (14..16).all(digit)
        && b[16] == b':'
        && (17..19).all(digit);
    if !ok {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = "";
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        frac = &r[..n];
        rest = &r[n..];
    }
    let zone_ok = rest.eq_ignore_ascii_case("z")
        || (rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':'
            && [1, 2, 4, 5]
                .iter()
                .all(|&i| rest.as_bytes()[i].is_ascii_digit()));
    if !zone_ok {
        return None;
    }
    Some(Parts {
        date: &s[..10],
        time: &s[11..19],
        frac,
        zone: rest,
    })
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the Unix epoch of an RFC 3339 stamp, for [`ago`].
pub fn parse_rfc3339_ms(s: &str) -> Option<f64> {
    let p = split_rfc3339(s.trim())?;
    let n = |x: &str| x.parse::<i64>().ok();
    let (y, mo, d) = (n(&p.date[..4])?, n(&p.date[5..7])?, n(&p.date[8..10])?);
    let (h, mi, sec) = (n(&p.time[..2])?, n(&p.time[3..5])?, n(&p.time[6..8])?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let offset_min = if p.zone.eq_ignore_ascii_case("z") {
        0
    } else {
        let sign = if p.zone.starts_with('-') { -1 } else { 1 };
        sign * (n(&p.zone[1..3])? * 60 + n(&p.zone[4..6])?)
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    let frac_ms = if p.frac.is_empty() {
        0.0
    } else {
        // Digits, not `f64::from_str`: its tables would weigh ~15 KB in the page.
        let digits = &p.frac[..p.frac.len().min(15)];
        digits.parse::<u64>().ok()? as f64 * 1000.0 / 10f64.powi(digits.len() as i32)
    };
    Some(secs as f64 * 1000.0 + frac_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ago_steps() {
        let now = 1_000_000_000.0;
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now, now - 1999.0), "just now");
        assert_eq!(ago(now, now + 50_000.0), "just now");
        assert_eq!(ago(now, now - 2000.0), "2 s ago");
        assert_eq!(ago(now, now - 12_500.0), "12 s ago");
        assert_eq!(ago(now, now - 59_999.0), "59 s ago");
        assert_eq!(ago(now, now - 60_000.0), "1 min ago");
        assert_eq!(ago(now, now - 3.5 * 60_000.0), "3 min ago");
        assert_eq!(ago(now, now - 2.0 * 3_600_000.0), "2 h ago");
        assert_eq!(ago(now, now - 4.0 * 86_400_000.0), "4 d ago");
        assert_eq!(ago(f64::NAN, 0.0), "just now");
    }

    #[test]
    fn the_manager_s_time_forms_read_to_the_second() {
        for (t, shown) in [
            ("2021-10-18T04:24:18.88509Z", "2021-10-18 04:24:18 UTC"),
            ("2021-11-24T09:54:45.962862797Z", "2021-11-24 09:54:45 UTC"),
            ("2021-10-22T03:27:41Z", "2021-10-22 03:27:41 UTC"),
            ("2021-10-22T03:27:41+02:00", "2021-10-22 01:27:41 UTC"),
            (" 2021-10-22t03:27:41z ", "2021-10-22 03:27:41 UTC"),
        ] {
            assert_eq!(
                parse_rfc3339_ms(t).map(clock).as_deref(),
                Some(shown),
                "{t}"
            );
        }
    }

    #[test]
    fn garbage_is_no_time() {
        for g in [
            "",
            "yesterday",
            "2021-10-18",
            "2021-10-18T04:24:18",
            "2021-10-18T04:24:18.Z",
            "2021-10-18T04:24:18Zjunk",
            "2021-1x-18T04:24:18Z",
            "2021-10-18T04:24:18+0200",
            "éééééééééééééééééééééé",
        ] {
            assert_eq!(parse_rfc3339_ms(g), None, "{g}");
        }
    }

    #[test]
    fn clock_formats_utc() {
        assert_eq!(clock(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(clock(1_634_873_261_999.0), "2021-10-22 03:27:41 UTC");
        assert_eq!(clock(951_782_400_500.0), "2000-02-29 00:00:00 UTC");
        assert_eq!(clock(f64::NAN), "");
        assert_eq!(clock(-1.0), "");
        for (t, shown) in [
            ("2021-11-24T09:54:45Z", "2021-11-24 09:54:45 UTC"),
            ("1999-12-31T23:59:59Z", "1999-12-31 23:59:59 UTC"),
            ("2024-02-29T12:00:00Z", "2024-02-29 12:00:00 UTC"),
        ] {
            assert_eq!(parse_rfc3339_ms(t).map(clock).as_deref(), Some(shown));
        }
    }

    #[test]
    fn parse_to_epoch() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            parse_rfc3339_ms("2021-10-22T03:27:41Z"),
            Some(1_634_873_261_000.0)
        );
        assert_eq!(
            parse_rfc3339_ms("2021-10-22T05:27:41+02:00"),
            Some(1_634_873_261_000.0)
        );
        assert_eq!(
            parse_rfc3339_ms("2000-02-29T00:00:00.5Z"),
            Some(951_782_400_500.0)
        );
        assert_eq!(parse_rfc3339_ms("2021-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_ms("soon"), None);
    }
}
