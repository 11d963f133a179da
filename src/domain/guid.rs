//! GUIDs as Entra shows them. Tenant IDs, application IDs and (wrongly pasted) secret IDs
//! all share this shape, so the recognition lives in one place.

/// Parses any common GUID spelling (hyphenated, braced, 32 hex digits, `urn:uuid:`), in
/// any case, and returns the lowercase hyphenated form Entra uses in URLs and tokens.
pub(crate) fn normalize(input: &str) -> Option<String> {
    uuid::Uuid::try_parse(input.trim())
        .ok()
        .map(|id| id.hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn accepts_common_spellings_and_lowercases() {
        let expected = Some("0f8fad5b-d9cb-469f-a165-70867728950e".to_owned());
        assert_eq!(normalize("0F8FAD5B-D9CB-469F-A165-70867728950E"), expected);
        assert_eq!(
            normalize("  0f8fad5b-d9cb-469f-a165-70867728950e\t"),
            expected
        );
        assert_eq!(
            normalize("{0f8fad5b-d9cb-469f-a165-70867728950e}"),
            expected
        );
        assert_eq!(normalize("0f8fad5bd9cb469fa16570867728950e"), expected);
    }

    #[test]
    fn refuses_non_guids() {
        assert_eq!(normalize("contoso.onmicrosoft.com"), None);
        assert_eq!(normalize("0f8fad5b-d9cb-469f-a165-70867728950"), None);
        assert_eq!(normalize(""), None);
    }
}
