//! The SAP groups for the group filter, read once while the session is active. Without them the
//! filter offers only "All groups" and a banner says why.
use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::client::Api;
use crate::api::groups::SapGroup;
use crate::domain::key_query::groups_query;
use crate::domain::manager_error::ManagerError;

/// The groups read so far, or why they could not be.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Groups {
    pub list: Rc<Vec<SapGroup>>,
    pub error: Option<ManagerError>,
}

/// At most this many groups are offered.
const MAX_GROUPS: u64 = 1000;

#[hook]
pub(crate) fn use_groups(api: &Api, active: bool) -> Groups {
    let groups = use_state(Groups::default);
    {
        let (api, groups) = (api.clone(), groups.clone());
        use_effect_with(active, move |active| {
            if *active && groups.list.is_empty() {
                spawn_local(async move {
                    groups.set(match api.groups(&groups_query(0, MAX_GROUPS)).await {
                        Ok((page, _)) => Groups {
                            list: Rc::new(page.resources),
                            error: None,
                        },
                        Err(e) => Groups {
                            list: Rc::default(),
                            error: Some(ManagerError::from(&e).with_message(format!(
                                "The group filter is unavailable: {}",
                                e.user_message()
                            ))),
                        },
                    });
                });
            }
        });
    }
    (*groups).clone()
}
