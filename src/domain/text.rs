//! Character rules shared by several parsers.

/// Characters that end a header line somewhere: ASCII CR/LF, NEL (U+0085, also a C1
/// control), and the Unicode line and paragraph separators, which some mail software
/// treats as line breaks. Any of them in a header value is an injection attempt.
pub(crate) fn is_line_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{0085}' | '\u{2028}' | '\u{2029}')
}

/// Control characters (C0, DEL, C1) and the Unicode line separators.
pub(crate) fn is_forbidden_control(c: char) -> bool {
    c.is_control() || is_line_break(c)
}
