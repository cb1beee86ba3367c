//! The key list's query, the open job, the open key and the job list's filters, all kept in the
//! URL (see `use_view`); the page size chosen last is remembered in this browser for links that
//! do not name one.
use yew::prelude::*;

use crate::browser::storage;
use crate::domain::batch::JobFilter;
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
    /// The job list's filters.
    pub job_filter: JobFilter,
    pub set_query: Callback<KeyQuery>,
    pub open_job: Callback<String>,
    pub close_job: Callback<()>,
    pub open_key: Callback<String>,
    pub close_key: Callback<()>,
    pub set_job_filter: Callback<JobFilter>,
}

#[hook]
pub(crate) fn use_key_view() -> KeyViewHandle {
    let (params, set_view) = use_view();
    let remembered_size = storage::local_get(PAGE_SIZE_KEY).and_then(|s| s.parse().ok());
    let query = params.key_query(remembered_size);
    let filter = params.job_filter();
    let (job, key) = (params.job.clone(), params.key.clone());
    // The URL for a query with this job, this key and these job filters.
    let url = |q: &KeyQuery, job: Option<&str>, key: &Option<String>, f: &JobFilter| {
        ViewParams {
            key: key.clone(),
            ..ViewParams::from_query(q, job)
        }
        .with_job_filter(f)
    };
    // Memoised: the table and the job rows compare their props.
    let set_query = {
        let set_view = set_view.clone();
        use_callback(
            (query.clone(), job.clone(), key.clone(), filter.clone()),
            move |next: KeyQuery,
                  (current, job, key, f): &(
                KeyQuery,
                Option<String>,
                Option<String>,
                JobFilter,
            )| {
                if next.page_size != current.page_size {
                    storage::local_set(PAGE_SIZE_KEY, &next.page_size.to_string());
                }
                let replace = replaces_entry(current, &next);
                set_view.emit((url(&next, job.as_deref(), key, f), replace));
            },
        )
    };
    let open_job = {
        let set_view = set_view.clone();
        use_callback(
            (query.clone(), key.clone(), filter.clone()),
            move |job_id: String, (q, key, f): &(KeyQuery, Option<String>, JobFilter)| {
                set_view.emit((url(q, Some(&job_id), key, f), false))
            },
        )
    };
    let close_job = {
        let (q, key, f, set_view) = (query.clone(), key.clone(), filter.clone(), set_view.clone());
        Callback::from(move |_| set_view.emit((url(&q, None, &key, &f), false)))
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
        let (q, job, f, set_view) = (query.clone(), job.clone(), filter.clone(), set_view.clone());
        Callback::from(move |_| set_view.emit((url(&q, job.as_deref(), &None, &f), false)))
    };
    let set_job_filter =
        use_callback(
            (query.clone(), job.clone(), key.clone(), filter.clone()),
            move |next: JobFilter,
                  (q, job, key, current): &(
                KeyQuery,
                Option<String>,
                Option<String>,
                JobFilter,
            )| {
                // Typing a search replaces the history entry, as the key search does.
                let replace = next.search != current.search
                    && !current.search.is_empty()
                    && !next.search.is_empty();
                set_view.emit((url(q, job.as_deref(), key, &next), replace));
            },
        );
    KeyViewHandle {
        query,
        job,
        key,
        job_filter: filter,
        set_query,
        open_job,
        close_job,
        open_key,
        close_key,
        set_job_filter,
    }
}
