//! The key list's query and the open job, both kept in the URL (see `use_view`); the page size
//! chosen last is remembered in this browser for links that do not name one.
use yew::prelude::*;

use crate::browser::storage;
use crate::domain::key_query::KeyQuery;
use crate::domain::view::{replaces_entry, ViewParams};
use crate::hooks::use_view::use_view;

const PAGE_SIZE_KEY: &str = "cckm-sap-page-size";

/// The view and the ways to change it; each change is a history entry (Back undoes it).
pub(crate) struct KeyViewHandle {
    pub query: KeyQuery,
    /// The job whose detail panel is open.
    pub job: Option<String>,
    pub set_query: Callback<KeyQuery>,
    pub open_job: Callback<String>,
    pub close_job: Callback<()>,
}

#[hook]
pub(crate) fn use_key_view() -> KeyViewHandle {
    let (params, set_view) = use_view();
    let remembered_size = storage::local_get(PAGE_SIZE_KEY).and_then(|s| s.parse().ok());
    let query = params.key_query(remembered_size);
    // Memoised: the table and the job rows compare their props.
    let set_query = {
        let set_view = set_view.clone();
        use_callback(
            (query.clone(), params.job.clone()),
            move |next: KeyQuery, (current, job): &(KeyQuery, Option<String>)| {
                if next.page_size != current.page_size {
                    storage::local_set(PAGE_SIZE_KEY, &next.page_size.to_string());
                }
                let replace = replaces_entry(current, &next);
                set_view.emit((ViewParams::from_query(&next, job.as_deref()), replace));
            },
        )
    };
    let open_job = {
        let set_view = set_view.clone();
        use_callback(query.clone(), move |job_id: String, q: &KeyQuery| {
            set_view.emit((ViewParams::from_query(q, Some(&job_id)), false))
        })
    };
    let close_job = {
        let q = query.clone();
        Callback::from(move |_| set_view.emit((ViewParams::from_query(&q, None), false)))
    };
    KeyViewHandle {
        query,
        job: params.job,
        set_query,
        open_job,
        close_job,
    }
}
