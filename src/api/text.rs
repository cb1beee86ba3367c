//! Text from outside made safe to show: bounded, control characters removed, tokens redacted.

/// At most `max` chars of `s`, control characters turned into spaces, runs of whitespace
/// collapsed, tokens redacted, "…" appended when cut.
pub fn excerpt(s: &str, max: usize) -> String {
    let clean = redact_tokens(s);
    let mut out = String::new();
    let mut count = 0;
    let mut last_space = true;
    let mut cut = false;
    for c in clean.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        if count + 1 > max {
            cut = true;
            break;
        }
        out.push(c);
        count += 1;
    }
    let mut out = out.trim_end().to_string();
    if cut && max > 0 {
        // Keep the result within `max` chars including the ellipsis.
        while out.chars().count() >= max {
            out.pop();
        }
        out.push('…');
    }
    out
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '-'
        || c == '_'
        || c == '.'
        || c == '='
        || c == '+'
        || c == '/'
}

/// Replaces JWT-looking runs ("eyJ…") and anything after "Bearer " with "[token]".
pub fn redact_tokens(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        let jwt = rest.find("eyJ");
        let bearer = find_ascii_ci(rest, "bearer ");
        let (at, skip_prefix) = match (jwt, bearer) {
            (None, None) => {
                out.push_str(rest);
                return out;
            }
            (Some(j), Some(b)) if b < j => (b, "bearer ".len()),
            (Some(j), _) => (j, 0),
            (None, Some(b)) => (b, "bearer ".len()),
        };
        out.push_str(&rest[..at + skip_prefix]);
        let tail = &rest[at + skip_prefix..];
        let run = tail.find(|c: char| !is_token_char(c)).unwrap_or(tail.len());
        if skip_prefix == 0 && run < 16 {
            // Too short to be a token: keep it.
            out.push_str(&tail[..run.max(3)]);
            rest = &tail[run.max(3)..];
            continue;
        }
        if run > 0 {
            out.push_str("[token]");
        }
        rest = &tail[run..];
    }
}

fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_limits() {
        assert_eq!(excerpt("  a \n\n b  ", 200), "a b");
        let x = excerpt(&"é".repeat(300), 200);
        assert_eq!(x.chars().count(), 200);
        assert!(x.ends_with('…'));
        assert_eq!(excerpt("abc", 3), "abc");
        assert_eq!(excerpt("", 10), "");
    }
}
