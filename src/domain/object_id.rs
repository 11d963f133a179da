//! The Enterprise application's Object ID, for `New-ServicePrincipal -ObjectId`. Optional:
//! only the setup guide uses it.

use serde::{Deserialize, Serialize};

use super::guid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ObjectId(String);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectIdError {
    NotAGuid,
}

impl ObjectId {
    /// Empty is allowed (`None`): the guide then shows a placeholder to replace.
    pub fn parse_optional(input: &str) -> Result<Option<Self>, ObjectIdError> {
        if input.trim().is_empty() {
            return Ok(None);
        }
        guid::normalize(input)
            .map(|id| Some(Self(id)))
            .ok_or(ObjectIdError::NotAGuid)
    }

    pub fn parse(input: &str) -> Result<Self, ObjectIdError> {
        Self::parse_optional(input)?.ok_or(ObjectIdError::NotAGuid)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

super::string_newtype!(ObjectId, ObjectIdError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_guid() {
        assert_eq!(ObjectId::parse_optional("  "), Ok(None));
        assert_eq!(
            ObjectId::parse_optional("0F8FAD5B-D9CB-469F-A165-70867728950E")
                .unwrap()
                .unwrap()
                .as_str(),
            "0f8fad5b-d9cb-469f-a165-70867728950e"
        );
        assert_eq!(
            ObjectId::parse_optional("abc"),
            Err(ObjectIdError::NotAGuid)
        );
    }
}
