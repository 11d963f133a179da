//! One line of an IMAP server's answer, as far as the check reads them.

/// A response line: the end of a command (tagged), data or a status on the side
/// (untagged, `* `), or the server waiting for more (`+`).
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    Tagged {
        tag: &'a str,
        status: &'a str,
        text: &'a str,
    },
    Untagged(&'a str),
    Continuation(&'a str),
}

/// Splits a line (CRLF already removed). `None` for a line IMAP does not allow.
pub fn parse(line: &str) -> Option<Line<'_>> {
    if let Some(rest) = line.strip_prefix("* ") {
        return Some(Line::Untagged(rest));
    }
    if line == "+" {
        return Some(Line::Continuation(""));
    }
    if let Some(rest) = line.strip_prefix("+ ") {
        return Some(Line::Continuation(rest));
    }
    let (tag, rest) = line.split_once(' ')?;
    let (status, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let valid_tag = !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric());
    let status_known = matches!(status.to_ascii_uppercase().as_str(), "OK" | "NO" | "BAD");
    (valid_tag && status_known).then_some(Line::Tagged { tag, status, text })
}

/// Whether the line ends by announcing a literal (`{12}`), which the check never asks for.
pub fn announces_literal(line: &str) -> bool {
    literal_length(line).is_some()
}

/// The length of the literal the line ends by announcing: `… BODY[] {12}` → 12.
pub fn literal_length(line: &str) -> Option<u64> {
    let inside = line.strip_suffix('}')?.rsplit_once('{')?.1;
    inside.trim_end_matches('+').parse().ok()
}

/// The words after a response code: `[UIDVALIDITY 3] UIDs valid` → `UIDs valid`.
pub fn without_code(text: &str) -> &str {
    match text.strip_prefix('[').and_then(|t| t.split_once(']')) {
        Some((_, rest)) => rest.trim_start(),
        None => text,
    }
}

/// The number in a response code: `[UIDVALIDITY 3] …` with `name` UIDVALIDITY → 3.
pub fn code_number(text: &str, name: &str) -> Option<u32> {
    let code = text.strip_prefix('[')?.split_once(']')?.0;
    let (key, value) = code.split_once(' ')?;
    key.eq_ignore_ascii_case(name)
        .then(|| value.trim().parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_told_apart() {
        assert_eq!(
            parse("a2 NO AUTHENTICATE failed."),
            Some(Line::Tagged {
                tag: "a2",
                status: "NO",
                text: "AUTHENTICATE failed."
            })
        );
        assert_eq!(parse("* 12 EXISTS"), Some(Line::Untagged("12 EXISTS")));
        assert_eq!(
            parse("+ eyJzdGF0dXMiOiI0MDEifQ=="),
            Some(Line::Continuation("eyJzdGF0dXMiOiI0MDEifQ=="))
        );
        assert_eq!(parse("+"), Some(Line::Continuation("")));
        assert_eq!(
            parse("a3 OK"),
            Some(Line::Tagged {
                tag: "a3",
                status: "OK",
                text: ""
            })
        );
        assert_eq!(parse("hello world"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn response_codes() {
        assert_eq!(
            code_number("[UIDVALIDITY 14] UIDs valid", "UIDVALIDITY"),
            Some(14)
        );
        assert_eq!(code_number("[UIDNEXT 4] next", "UIDVALIDITY"), None);
        assert_eq!(
            without_code("[READ-ONLY] EXAMINE completed."),
            "EXAMINE completed."
        );
        assert_eq!(without_code("Logged in"), "Logged in");
        assert!(announces_literal("* 1 FETCH (BODY[] {12}"));
        assert!(!announces_literal("* OK {curly} words"));
        assert_eq!(
            literal_length("* 1 FETCH (UID 4 BODY[]<0> {2048}"),
            Some(2048)
        );
        assert_eq!(literal_length("* 1 FETCH (UID 4)"), None);
    }
}
