//! The syntax of the arguments a client sends: pure functions of the text, no I/O, each
//! with its unit tests (and a fuzz target, `fuzzing::relay_syntax`).

use base64::Engine as _;
use secrecy::SecretString;

pub fn decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}

/// PLAIN's `authzid NUL authcid NUL password`; the authorization identity is ignored.
pub fn plain_parts(bytes: &[u8]) -> Option<(String, SecretString)> {
    let mut parts = bytes.split(|&b| b == 0);
    let _authzid = parts.next()?;
    let user = parts.next()?;
    let password = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    Some((
        String::from_utf8_lossy(user).into_owned(),
        SecretString::from(String::from_utf8_lossy(password).into_owned()),
    ))
}

/// `FROM:<address> [SIZE=n] [BODY=…]` → the address and the declared size.
pub fn mail_argument(argument: &str) -> Option<(String, Option<usize>)> {
    let rest = strip_prefix_ignore_case(argument, "FROM:")?.trim_start();
    let (address, parameters) = path(rest)?;
    let mut size = None;
    for parameter in parameters.split_whitespace() {
        let (key, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => size = Some(value.parse().ok()?),
            "BODY" | "AUTH" => {}
            _ => return None,
        }
    }
    Some((address, size))
}

/// `<address>` and what follows it.
pub fn path(text: &str) -> Option<(String, &str)> {
    let inner = text.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some((inner[..end].trim().to_owned(), &inner[end + 1..]))
}

pub fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_arguments() {
        assert_eq!(
            mail_argument("FROM:<a@b.com> SIZE=100 BODY=8BITMIME"),
            Some(("a@b.com".to_owned(), Some(100)))
        );
        assert_eq!(
            mail_argument("from: <a@b.com>"),
            Some(("a@b.com".to_owned(), None))
        );
        assert_eq!(mail_argument("FROM:<>"), Some((String::new(), None)));
        assert_eq!(mail_argument("FROM:a@b.com"), None);
        assert_eq!(mail_argument("FROM:<a@b.com> SIZE=x"), None);
        assert_eq!(mail_argument("FROM:<a@b.com> SMTPUTF8"), None);
    }

    #[test]
    fn plain_responses() {
        let (user, _) = plain_parts(b"\0app\0secret").unwrap();
        assert_eq!(user, "app");
        let (user, _) = plain_parts(b"someone\0app\0secret").unwrap();
        assert_eq!(user, "app");
        assert!(plain_parts(b"app\0secret").is_none());
        assert!(plain_parts(b"\0a\0b\0c").is_none());
    }
}
