//! The key list's query, the open job and the open key, all kept in the URL (see `use_view`); the
//! page size chosen last is remembered in this browser for links that do not name one.
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
    /// The key (CCKM id) whose history panel is open.
    pub key: Option<String>,
    pub set_query: Callback<KeyQuery>,
    pub open_job: Callback<String>,
    pub close_job: Callback<()>,
    pub open_key: Callback<String>,
    pub close_key: Callback<()>,
}

#[hook]
pub(crate) fn use_key_view() -> KeyViewHandle {
    let (params, set_view) = use_view();
    let remembered_size = storage::local_get(PAGE_SIZE_KEY).and_then(|s| s.parse().ok());
    let query = params.key_query(remembered_size);
    let (job, key) = (params.job.clone(), params.key.clone());
    // The URL for a query with this job and key open.
    let url = |q: &KeyQuery, job: Option<&str>, key: &Option<String>| ViewParams {
        key: key.clone(),
        ..ViewParams::from_query(q, job)
    };
    // Memoised: the table and the job rows compare their props.
    let set_query = {
        let set_view = set_view.clone();
        use_callback(
            (query.clone(), job.clone(), key.clone()),
            move |next: KeyQuery,
                  (current, job, key): &(KeyQuery, Option<String>, Option<String>)| {
                if next.page_size != current.page_size {
                    storage::local_set(PAGE_SIZE_KEY, &next.page_size.to_string());
                }
                let replace = replaces_entry(current, &next);
                set_view.emit((url(&next, job.as_deref(), key), replace));
            },
        )
    };
    let open_job = {
        let set_view = set_view.clone();
        use_callback(
            (query.clone(), key.clone()),
            move |job_id: String, (q, key): &(KeyQuery, Option<String>)| {
                set_view.emit((url(q, Some(&job_id), key), false))
            },
        )
    };
    let close_job = {
        let (q, key, set_view) = (query.clone(), key.clone(), set_view.clone());
        Callback::from(move |_| set_view.emit((url(&q, None, &key), false)))
    };
    // Stable (the key rows compare it): it reads the view of the last render.
    let current = use_mut_ref(ViewParams::default);
    *current.borrow_mut() = params.clone();
    let open_key = {
        let set_view = set_view.clone();
        use_callback((), move |id: String, _| {
            let v = ViewParams {
                key: Some(id),
                ..current.borrow().clone()
            };
            set_view.emit((v, false))
        })
    };
    let close_key = {
        let (q, job) = (query.clone(), job.clone());
        Callback::from(move |_| set_view.emit((url(&q, job.as_deref(), &None), false)))
    };
    KeyViewHandle {
        query,
        job,
        key,
        set_query,
        open_job,
        close_job,
        open_key,
        close_key,
    }
}
