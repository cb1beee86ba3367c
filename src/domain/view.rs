//! The page's view as URL query parameters, so a pasted link opens the same view.
use super::batch::{JobFilter, PhaseFilter};
use super::key_query::{KeyQuery, SortField, StateFilter, DEFAULT_PAGE_SIZE, PAGE_SIZES};
use crate::api::jobs::Operation;

/// What the URL holds. Every field is optional: a bare URL is the default view.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ViewParams {
    pub q: Option<String>,
    pub group: Option<String>,
    pub state: Option<String>,
    pub sort: Option<String>,
    pub desc: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
    /// The job whose detail panel is open.
    pub job: Option<String>,
    /// The key (CCKM id) whose history panel is open.
    pub key: Option<String>,
    /// The job list's filters: phase, operation, key-name search.
    pub jphase: Option<String>,
    pub jop: Option<String>,
    pub jq: Option<String>,
}

/// The query parameters, in the order they are written.
pub(crate) const VIEW_KEYS: [&str; 12] = [
    "q", "group", "state", "sort", "desc", "page", "size", "job", "key", "jphase", "jop", "jq",
];

impl ViewParams {
    /// Reads the parameters through `get` (a parsed query string).
    pub(crate) fn from_pairs(get: impl Fn(&str) -> Option<String>) -> ViewParams {
        ViewParams {
            q: get("q"),
            group: get("group"),
            state: get("state"),
            sort: get("sort"),
            desc: get("desc"),
            page: get("page"),
            size: get("size"),
            job: get("job"),
            key: get("key"),
            jphase: get("jphase"),
            jop: get("jop"),
            jq: get("jq"),
        }
    }

    /// The parameters that are set, in [`VIEW_KEYS`] order.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, &str)> {
        let fields = [
            &self.q,
            &self.group,
            &self.state,
            &self.sort,
            &self.desc,
            &self.page,
            &self.size,
            &self.job,
            &self.key,
            &self.jphase,
            &self.jop,
            &self.jq,
        ];
        VIEW_KEYS
            .into_iter()
            .zip(fields)
            .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
            .collect()
    }
}

impl ViewParams {
    /// The key query this view shows; anything unreadable falls back to the default, and a
    /// page size the page does not offer falls back to `remembered_size` or the default.
    pub(crate) fn key_query(&self, remembered_size: Option<u64>) -> KeyQuery {
        let mut q = KeyQuery::default();
        if let Some(s) = &self.q {
            q.search = s.chars().take(200).collect();
        }
        q.group = self.group.clone().filter(|g| !g.is_empty());
        q.state = parse_or_default(&self.state);
        q.sort = parse_or_default(&self.sort);
        q.descending = matches!(self.desc.as_deref(), Some("1") | Some("true"));
        let size = self
            .size
            .as_deref()
            .and_then(|s| s.parse::<u64>().ok())
            .or(remembered_size);
        q.page_size = size
            .filter(|s| PAGE_SIZES.contains(s))
            .unwrap_or(DEFAULT_PAGE_SIZE);
        q.page = self
            .page
            .as_deref()
            .and_then(|p| p.parse::<u64>().ok())
            .map(|p| p.saturating_sub(1))
            .unwrap_or(0)
            .min(1_000_000);
        q
    }

    /// The URL form of a key query plus an opened job; default values are left out.
    pub(crate) fn from_query(q: &KeyQuery, job: Option<&str>) -> ViewParams {
        ViewParams {
            q: (!q.search.is_empty()).then(|| q.search.clone()),
            group: q.group.clone(),
            state: (q.state != StateFilter::All).then(|| q.state.as_str().to_string()),
            sort: (q.sort != SortField::Name).then(|| q.sort.as_str().to_string()),
            desc: q.descending.then(|| "1".to_string()),
            page: (q.page > 0).then(|| (q.page + 1).to_string()),
            size: (q.page_size != DEFAULT_PAGE_SIZE).then(|| q.page_size.to_string()),
            job: job.map(str::to_string),
            ..ViewParams::default()
        }
    }

    /// The job list's filters this view shows; anything unreadable is no filter.
    pub(crate) fn job_filter(&self) -> JobFilter {
        JobFilter {
            phase: self.jphase.as_deref().and_then(PhaseFilter::parse),
            operation: self
                .jop
                .as_deref()
                .and_then(|o| o.parse::<Operation>().ok()),
            search: self
                .jq
                .as_deref()
                .map(|s| s.chars().take(200).collect())
                .unwrap_or_default(),
        }
    }

    /// This view with the job list's filters `f` (no filter, no parameter).
    pub(crate) fn with_job_filter(self, f: &JobFilter) -> ViewParams {
        ViewParams {
            jphase: f.phase.map(|p| p.word().to_string()),
            jop: f.operation.map(|o| o.as_str().to_string()),
            jq: (!f.search.is_empty()).then(|| f.search.clone()),
            ..self
        }
    }
}

fn parse_or_default<T: std::str::FromStr + Default>(v: &Option<String>) -> T {
    v.as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}

/// Whether going from `current` to `next` replaces the history entry rather than adding one:
/// typing a search does (Back should not replay every keystroke); every other change adds one.
pub(crate) fn replaces_entry(current: &KeyQuery, next: &KeyQuery) -> bool {
    next.search != current.search && !current.search.is_empty() && !next.search.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The view that URL parameters `pairs` name.
    fn read_back(pairs: &[(&str, &str)]) -> ViewParams {
        ViewParams::from_pairs(|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn round_trips_every_field() {
        let q = KeyQuery {
            search: "pay roll & co".into(),
            group: Some("payroll".into()),
            state: StateFilter::Gone,
            sort: SortField::Updated,
            descending: true,
            page: 3,
            page_size: 25,
        };
        let v = ViewParams::from_query(&q, Some("5db60499-9f4f-4143-b963-370459d3cef1"));
        assert_eq!(v.page.as_deref(), Some("4"), "pages are 1-based in the URL");
        assert_eq!(v.key_query(None), q);
        assert_eq!(
            v.job.as_deref(),
            Some("5db60499-9f4f-4143-b963-370459d3cef1")
        );
    }

    #[test]
    fn pairs_round_trip() {
        let q = KeyQuery {
            search: "a&b=c".into(),
            page: 2,
            ..KeyQuery::default()
        };
        let v = ViewParams::from_query(&q, Some("j"));
        let pairs = v.pairs();
        assert_eq!(pairs, [("q", "a&b=c"), ("page", "3"), ("job", "j")]);
        assert_eq!(read_back(&pairs), v);
        assert!(ViewParams::default().pairs().is_empty());
    }

    #[test]
    fn an_open_key_round_trips_beside_an_open_job() {
        let v = ViewParams {
            key: Some("d109deae-5ca7-421d-bf49-637e65c3bbcb".into()),
            ..ViewParams::from_query(&KeyQuery::default(), Some("j"))
        };
        let pairs = v.pairs();
        assert_eq!(
            pairs,
            [
                ("job", "j"),
                ("key", "d109deae-5ca7-421d-bf49-637e65c3bbcb")
            ]
        );
        let back = read_back(&pairs);
        assert_eq!(back, v);
        assert_eq!(back.key_query(None), KeyQuery::default());
    }

    #[test]
    fn only_editing_a_search_replaces_the_history_entry() {
        let q = KeyQuery::default();
        let typed = q.with_search("pay");
        assert!(
            !replaces_entry(&q, &typed),
            "the first letter adds an entry"
        );
        assert!(replaces_entry(&typed, &typed.with_search("payroll")));
        assert!(
            !replaces_entry(&typed, &typed.with_search("")),
            "clearing adds one"
        );
        assert!(!replaces_entry(&typed, &typed.next_page(1000)));
        assert!(!replaces_entry(
            &typed,
            &typed.with_state(StateFilter::Gone)
        ));
    }

    #[test]
    fn the_job_filters_round_trip_and_garbage_is_no_filter() {
        let f = JobFilter {
            phase: Some(PhaseFilter::Drift),
            operation: Some(Operation::Restore),
            search: "pay roll".into(),
        };
        let v = ViewParams::from_query(&KeyQuery::default(), Some("j")).with_job_filter(&f);
        assert_eq!(
            v.pairs(),
            [
                ("job", "j"),
                ("jphase", "drift"),
                ("jop", "restore"),
                ("jq", "pay roll")
            ]
        );
        assert_eq!(v.job_filter(), f);
        assert_eq!(
            v.clone().with_job_filter(&JobFilter::default()),
            ViewParams::from_query(&KeyQuery::default(), Some("j"))
        );
        let garbage = ViewParams {
            jphase: Some("<b>".into()),
            jop: Some("explode".into()),
            ..Default::default()
        };
        assert_eq!(garbage.job_filter(), JobFilter::default());
    }

    #[test]
    fn the_default_view_is_an_empty_url() {
        assert_eq!(
            ViewParams::from_query(&KeyQuery::default(), None),
            ViewParams::default()
        );
        assert_eq!(ViewParams::default().key_query(None), KeyQuery::default());
    }

    #[test]
    fn garbage_falls_back_to_defaults() {
        let v = ViewParams {
            state: Some("<script>".into()),
            sort: Some("drop table".into()),
            page: Some("-4".into()),
            size: Some("7".into()),
            desc: Some("maybe".into()),
            ..Default::default()
        };
        assert_eq!(v.key_query(None), KeyQuery::default());
        let v = ViewParams {
            page: Some("0".into()),
            ..Default::default()
        };
        assert_eq!(v.key_query(None).page, 0);
    }

    #[test]
    fn a_remembered_page_size_applies_when_the_url_has_none() {
        assert_eq!(ViewParams::default().key_query(Some(100)).page_size, 100);
        assert_eq!(
            ViewParams::default().key_query(Some(33)).page_size,
            DEFAULT_PAGE_SIZE
        );
        let v = ViewParams {
            size: Some("10".into()),
            ..Default::default()
        };
        assert_eq!(
            v.key_query(Some(100)).page_size,
            10,
            "the link wins over the memory"
        );
    }
}
