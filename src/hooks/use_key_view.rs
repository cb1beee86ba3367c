//! The key list's query, the open job and the job list's filters, all kept in the URL (see `use_view`); the page size
//! chosen last is remembered in this browser for links that do not name one.
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
    /// The job list's filters.
    pub job_filter: JobFilter,
    pub set_query: Callback<KeyQuery>,
    pub open_job: Callback<String>,
    pub close_job: Callback<()>,
    pub set_job_filter: Callback<JobFilter>,
}

#[hook]
pub(crate) fn use_key_view() -> KeyViewHandle {
    let (params, set_view) = use_view();
    let remembered_size = storage::local_get(PAGE_SIZE_KEY).and_then(|s| s.parse().ok());
    let query = params.key_query(remembered_size);
    let filter = params.job_filter();
    // Memoised: the table and the job rows compare their props.
    let set_query = {
        let set_view = set_view.clone();
        use_callback(
            (query.clone(), params.job.clone(), filter.clone()),
            move |next: KeyQuery, (current, job, f): &(KeyQuery, Option<String>, JobFilter)| {
                if next.page_size != current.page_size {
                    storage::local_set(PAGE_SIZE_KEY, &next.page_size.to_string());
                }
                let replace = replaces_entry(current, &next);
                let v = ViewParams::from_query(&next, job.as_deref()).with_job_filter(f);
                set_view.emit((v, replace));
            },
        )
    };
    let open_job = {
        let set_view = set_view.clone();
        use_callback(
            (query.clone(), filter.clone()),
            move |job_id: String, (q, f): &(KeyQuery, JobFilter)| {
                let v = ViewParams::from_query(q, Some(&job_id)).with_job_filter(f);
                set_view.emit((v, false))
            },
        )
    };
    let close_job = {
        let (q, f, set_view) = (query.clone(), filter.clone(), set_view.clone());
        Callback::from(move |_| {
            set_view.emit((ViewParams::from_query(&q, None).with_job_filter(&f), false))
        })
    };
    let set_job_filter = use_callback(
        (query.clone(), params.job.clone(), filter.clone()),
        move |next: JobFilter, (q, job, current): &(KeyQuery, Option<String>, JobFilter)| {
            // Typing a search replaces the history entry, as the key search does.
            let replace = next.search != current.search
                && !current.search.is_empty()
                && !next.search.is_empty();
            let v = ViewParams::from_query(q, job.as_deref()).with_job_filter(&next);
            set_view.emit((v, replace));
        },
    );
    KeyViewHandle {
        query,
        job: params.job,
        job_filter: filter,
        set_query,
        open_job,
        close_job,
        set_job_filter,
    }
}
