//! One page of a manager list: `{"skip":…,"limit":…,"total":…,"resources":[…],"messages":[…]}`.
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::api::decode::{parse_json, DecodeError};
use crate::api::lenient::{self, Counted};

/// One page of a manager list.
#[derive(Clone, Debug, PartialEq)]
pub struct ListPage<T> {
    pub skip: u64,
    pub limit: u64,
    pub total: u64,
    pub resources: Vec<T>,
    pub messages: Vec<String>,
}

impl<T> Default for ListPage<T> {
    fn default() -> Self {
        ListPage {
            skip: 0,
            limit: 0,
            total: 0,
            resources: Vec::new(),
            messages: Vec::new(),
        }
    }
}

/// The page as it comes: a resource that cannot be read is skipped and counted; a missing or
/// odd number is absent; `resources` that is not an array (nor `null`) fails the page.
#[derive(Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
struct WirePage<T> {
    #[serde(default, deserialize_with = "lenient::opt")]
    skip: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt")]
    limit: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt")]
    total: Option<u64>,
    #[serde(default, deserialize_with = "lenient::list")]
    resources: Counted<T>,
    #[serde(default, deserialize_with = "lenient::texts")]
    messages: Vec<String>,
}

/// Parses a list page, with the number of resources skipped. Missing `skip`/`limit`/`messages`
/// default; a missing `total` becomes `skip` + the resources seen.
pub fn parse_list<T: DeserializeOwned>(body: &str) -> Result<(ListPage<T>, usize), DecodeError> {
    let w: WirePage<T> = parse_json(body)?;
    let skip = w.skip.unwrap_or(0);
    let Counted { items, skipped } = w.resources;
    let seen = (items.len() + skipped) as u64;
    let page = ListPage {
        skip,
        limit: w.limit.unwrap_or(0),
        total: w.total.unwrap_or(skip.saturating_add(seen)),
        resources: items,
        messages: w.messages,
    };
    Ok((page, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::keys::tests::KEY;
    use crate::api::keys::SapKey;

    #[test]
    fn list_skips_malformed_resources() {
        let body = format!(
            r#"{{"skip":0,"limit":10,"total":1234,"resources":[{KEY}, {{"name":"no id"}}, 7, {{"id":"b"}}],
                "messages":["careful", 3]}}"#
        );
        let (page, skipped) = parse_list::<SapKey>(&body).unwrap();
        assert_eq!(skipped, 2);
        assert_eq!(page.resources.len(), 2);
        assert_eq!(page.total, 1234);
        assert_eq!(page.limit, 10);
        assert_eq!(page.messages, vec!["careful".to_string(), "3".to_string()]);
    }

    #[test]
    fn list_defaults() {
        let (page, skipped) =
            parse_list::<SapKey>(r#"{"resources":[{"id":"a"},{"id":"b"}]}"#).unwrap();
        assert_eq!((page.skip, page.limit, page.total, skipped), (0, 0, 2, 0));
        assert!(page.messages.is_empty());
        let (page, _) = parse_list::<SapKey>(r#"{"skip":20,"resources":[{"id":"a"}]}"#).unwrap();
        assert_eq!(page.total, 21);
        let (page, _) = parse_list::<SapKey>(r#"{"total":0,"resources":null}"#).unwrap();
        assert!(page.resources.is_empty());
        let (page, _) = parse_list::<SapKey>(r#"{"total":5}"#).unwrap();
        assert_eq!(page.total, 5);
    }

    #[test]
    fn list_errors() {
        assert!(matches!(
            parse_list::<SapKey>("[]"),
            Err(DecodeError::WrongShape(_))
        ));
        assert!(matches!(
            parse_list::<SapKey>(r#"{"resources":{}}"#),
            Err(DecodeError::WrongShape(_))
        ));
        assert!(matches!(
            parse_list::<SapKey>("<html>"),
            Err(DecodeError::NotJson(_))
        ));
        assert_eq!(
            parse_list::<SapKey>(r#"{"resources":[{"id":"#),
            Err(DecodeError::Truncated)
        );
        assert_eq!(parse_list::<SapKey>(""), Err(DecodeError::Truncated));
    }
}
