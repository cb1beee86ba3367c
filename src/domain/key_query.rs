//! The key list view as a query: search, group, state filter, sort and page, and the query
//! string it becomes for `GET /api/v1/cckm/sap/keys`.
use std::str::FromStr;

/// The page sizes offered.
pub(crate) const PAGE_SIZES: [u64; 4] = [10, 25, 50, 100];
pub(crate) const DEFAULT_PAGE_SIZE: u64 = 50;
/// A page size above this is clamped.
pub(crate) const MAX_PAGE_SIZE: u64 = 1000;

/// Which keys to show by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StateFilter {
    #[default]
    All,
    Enabled,
    Disabled,
    Gone,
    /// Not gone (enabled, disabled or unknown).
    Present,
}

impl StateFilter {
    /// In the order the filter offers them.
    pub(crate) const ALL: [StateFilter; 5] = [
        StateFilter::All,
        StateFilter::Present,
        StateFilter::Enabled,
        StateFilter::Disabled,
        StateFilter::Gone,
    ];

    /// The name in the URL and the filter's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StateFilter::All => "all",
            StateFilter::Enabled => "enabled",
            StateFilter::Disabled => "disabled",
            StateFilter::Gone => "gone",
            StateFilter::Present => "present",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            StateFilter::All => "All states",
            StateFilter::Enabled => "Enabled",
            StateFilter::Disabled => "Disabled",
            StateFilter::Gone => "Deleted from SAP",
            StateFilter::Present => "In SAP (enabled or disabled)",
        }
    }
}

/// A name that is not one of the type's [`as_str`](StateFilter::as_str) names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownName;

impl FromStr for StateFilter {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        StateFilter::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// The column the list is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SortField {
    #[default]
    Name,
    Group,
    Type,
    State,
    Updated,
}

impl SortField {
    /// In the order of the table's columns.
    pub(crate) const ALL: [SortField; 5] = [
        SortField::Name,
        SortField::Group,
        SortField::Type,
        SortField::State,
        SortField::Updated,
    ];

    /// The name in the URL (and in the column's class).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SortField::Name => "name",
            SortField::Group => "group",
            SortField::Type => "type",
            SortField::State => "state",
            SortField::Updated => "updated",
        }
    }

    /// The column's heading.
    pub(crate) fn label(self) -> &'static str {
        match self {
            SortField::Name => "Name",
            SortField::Group => "Group",
            SortField::Type => "Type",
            SortField::State => "State",
            SortField::Updated => "Updated",
        }
    }

    /// The manager's sort keys for this column, ascending. State sorts present keys first
    /// (`gone` ascending), enabled before disabled.
    fn manager_keys(self) -> &'static [(&'static str, bool)] {
        // (field, descending when the column is ascending)
        match self {
            SortField::Name => &[("name", false)],
            SortField::Group => &[("sap_group_name", false), ("name", false)],
            SortField::Type => &[("type", false), ("name", false)],
            SortField::State => &[("gone", false), ("enabled", true), ("name", false)],
            SortField::Updated => &[("updatedAt", false), ("name", false)],
        }
    }
}

impl FromStr for SortField {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        SortField::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// How the list is sorted by one column, as `aria-sort` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortOrder {
    /// Not sorted by this column.
    None,
    Ascending,
    Descending,
}

impl SortOrder {
    /// The `aria-sort` value.
    pub(crate) fn aria(self) -> &'static str {
        match self {
            SortOrder::None => "none",
            SortOrder::Ascending => "ascending",
            SortOrder::Descending => "descending",
        }
    }
}

/// The key list view.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyQuery {
    pub search: String,
    /// A group's name (`sap_group_name`).
    pub group: Option<String>,
    pub state: StateFilter,
    pub sort: SortField,
    pub descending: bool,
    /// 0-based.
    pub page: u64,
    pub page_size: u64,
}

impl Default for KeyQuery {
    fn default() -> Self {
        KeyQuery {
            search: String::new(),
            group: None,
            state: StateFilter::All,
            sort: SortField::Name,
            descending: false,
            page: 0,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 15)]));
        }
    }
    out
}

/// 1234567 → "1,234,567".
pub(crate) fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The query string of `GET /api/v1/cckm/sap/groups` (sorted by name).
pub(crate) fn groups_query(skip: u64, limit: u64) -> String {
    format!("skip={skip}&limit={limit}&sort=name")
}

impl KeyQuery {
    fn size(&self) -> u64 {
        self.page_size.clamp(1, MAX_PAGE_SIZE)
    }

    pub(crate) fn skip(&self) -> u64 {
        self.page.saturating_mul(self.size())
    }

    /// The sort parameter, e.g. "name" or "-sap_group_name,-name".
    pub(crate) fn sort_param(&self) -> String {
        self.sort
            .manager_keys()
            .iter()
            .map(|(f, inverted)| {
                if *inverted != self.descending {
                    format!("-{f}")
                } else {
                    (*f).to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The query string (no leading '?').
    pub(crate) fn to_query_string(&self) -> String {
        let mut q = format!(
            "skip={}&limit={}&sort={}",
            self.skip(),
            self.size(),
            self.sort_param()
        );
        let search = self.search.trim();
        if !search.is_empty() {
            q.push_str("&name=");
            q.push_str(&encode_component(search));
        }
        if let Some(g) = self.group.as_deref().filter(|g| !g.is_empty()) {
            q.push_str("&sap_group_name=");
            q.push_str(&encode_component(g));
        }
        q.push_str(match self.state {
            StateFilter::All => "",
            StateFilter::Enabled => "&gone=false&enabled=true",
            StateFilter::Disabled => "&gone=false&enabled=false",
            StateFilter::Gone => "&gone=true",
            StateFilter::Present => "&gone=false",
        });
        q
    }

    pub fn with_search(&self, s: &str) -> KeyQuery {
        KeyQuery {
            search: s.to_string(),
            page: 0,
            ..self.clone()
        }
    }

    pub fn with_group(&self, group: Option<String>) -> KeyQuery {
        KeyQuery {
            group: group.filter(|g| !g.is_empty()),
            page: 0,
            ..self.clone()
        }
    }

    pub fn with_state(&self, state: StateFilter) -> KeyQuery {
        KeyQuery {
            state,
            page: 0,
            ..self.clone()
        }
    }

    /// Any size from 1 to [`MAX_PAGE_SIZE`]; 0 means the default.
    pub fn with_page_size(&self, page_size: u64) -> KeyQuery {
        let page_size = if page_size == 0 {
            DEFAULT_PAGE_SIZE
        } else {
            page_size.min(MAX_PAGE_SIZE)
        };
        KeyQuery {
            page_size,
            page: 0,
            ..self.clone()
        }
    }

    /// The same column flips direction; another column sorts ascending. Back to page 1.
    pub fn toggle_sort(&self, field: SortField) -> KeyQuery {
        let descending = field == self.sort && !self.descending;
        KeyQuery {
            sort: field,
            descending,
            page: 0,
            ..self.clone()
        }
    }

    /// How the list is sorted by `field`.
    pub(crate) fn sort_order(&self, field: SortField) -> SortOrder {
        match (field == self.sort, self.descending) {
            (false, _) => SortOrder::None,
            (true, false) => SortOrder::Ascending,
            (true, true) => SortOrder::Descending,
        }
    }

    /// How many pages `total` keys fill (at least 1).
    pub(crate) fn page_count(&self, total: u64) -> u64 {
        total.div_ceil(self.size()).max(1)
    }

    pub(crate) fn has_next(&self, total: u64) -> bool {
        self.page + 1 < self.page_count(total)
    }

    pub fn next_page(&self, total: u64) -> KeyQuery {
        let page = if self.has_next(total) {
            self.page + 1
        } else {
            self.page
        };
        KeyQuery {
            page,
            ..self.clone()
        }
    }

    pub fn prev_page(&self) -> KeyQuery {
        KeyQuery {
            page: self.page.saturating_sub(1),
            ..self.clone()
        }
    }

    /// "1–50 of 1,234"; "No keys" when there are none; "0 of 1,234" on a page past the end.
    pub(crate) fn range_label(&self, total: u64, shown: usize) -> String {
        if total == 0 && shown == 0 {
            return "No keys".to_string();
        }
        if shown == 0 {
            return format!("0 of {}", format_count(total));
        }
        let first = self.skip() + 1;
        let last = self.skip() + shown as u64;
        format!(
            "{}–{} of {}",
            format_count(first),
            format_count(last),
            format_count(total.max(last))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_query() {
        let q = KeyQuery::default();
        assert_eq!(q.page_size, 50);
        assert_eq!(q.to_query_string(), "skip=0&limit=50&sort=name");
        assert_eq!(PAGE_SIZES, [10, 25, 50, 100]);
    }

    #[test]
    fn sort_names() {
        let q = KeyQuery::default();
        let cases = [
            (SortField::Name, "name", "-name"),
            (
                SortField::Group,
                "sap_group_name,name",
                "-sap_group_name,-name",
            ),
            (SortField::Type, "type,name", "-type,-name"),
            (
                SortField::State,
                "gone,-enabled,name",
                "-gone,enabled,-name",
            ),
            (SortField::Updated, "updatedAt,name", "-updatedAt,-name"),
        ];
        for (field, asc, desc) in cases {
            let a = q.toggle_sort(field);
            let a = if a.descending {
                a.toggle_sort(field)
            } else {
                a
            };
            assert_eq!(a.sort_param(), asc);
            assert_eq!(a.toggle_sort(field).sort_param(), desc);
        }
    }

    #[test]
    fn toggle_sort_rules() {
        let q = KeyQuery {
            page: 3,
            ..Default::default()
        };
        let n = q.toggle_sort(SortField::Name);
        assert!(n.descending);
        assert_eq!(n.page, 0);
        assert_eq!(n.sort_order(SortField::Name), SortOrder::Descending);
        assert_eq!(n.sort_order(SortField::Group).aria(), "none");
        let g = n.toggle_sort(SortField::Group);
        assert_eq!(g.sort, SortField::Group);
        assert!(!g.descending);
        assert_eq!(g.sort_order(SortField::Group).aria(), "ascending");
        assert_eq!(n.sort_order(SortField::Name).aria(), "descending");
        assert!(!n.toggle_sort(SortField::Name).descending);
    }

    #[test]
    fn filters_and_encoding() {
        let q = KeyQuery::default()
            .with_search("  pay roll/é&x=1  ")
            .with_group(Some("HR & Payroll".into()))
            .with_state(StateFilter::Enabled);
        assert_eq!(
            q.to_query_string(),
            "skip=0&limit=50&sort=name&name=pay%20roll%2F%C3%A9%26x%3D1\
             &sap_group_name=HR%20%26%20Payroll&gone=false&enabled=true"
        );
        let states = [
            (StateFilter::All, ""),
            (StateFilter::Disabled, "&gone=false&enabled=false"),
            (StateFilter::Gone, "&gone=true"),
            (StateFilter::Present, "&gone=false"),
        ];
        for (s, tail) in states {
            assert_eq!(
                KeyQuery::default().with_state(s).to_query_string(),
                format!("skip=0&limit=50&sort=name{tail}")
            );
        }
        assert_eq!(
            KeyQuery::default().with_search("   ").to_query_string(),
            "skip=0&limit=50&sort=name"
        );
        assert_eq!(
            KeyQuery::default().with_group(Some(String::new())).group,
            None
        );
        assert_eq!(encode_component("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(encode_component("+?#%"), "%2B%3F%23%25");
    }

    #[test]
    fn builders_reset_the_page() {
        let q = KeyQuery {
            page: 5,
            ..Default::default()
        };
        assert_eq!(q.with_search("x").page, 0);
        assert_eq!(q.with_group(None).page, 0);
        assert_eq!(q.with_state(StateFilter::Gone).page, 0);
        let s = q.with_page_size(25);
        assert_eq!((s.page, s.page_size), (0, 25));
        assert_eq!(q.with_page_size(0).page_size, 50);
        assert_eq!(q.with_page_size(1_000_000).page_size, MAX_PAGE_SIZE);
    }

    #[test]
    fn paging() {
        let q = KeyQuery::default();
        assert_eq!(q.page_count(0), 1);
        assert_eq!(q.page_count(50), 1);
        assert_eq!(q.page_count(51), 2);
        assert_eq!(q.page_count(1234), 25);
        let n = q.next_page(1234);
        assert_eq!(n.page, 1);
        assert_eq!(n.to_query_string(), "skip=50&limit=50&sort=name");
        let last = KeyQuery {
            page: 24,
            ..q.clone()
        };
        assert_eq!(last.next_page(1234).page, 24, "no page past the end");
        assert_eq!(q.prev_page().page, 0);
        assert_eq!(last.prev_page().page, 23);
        assert_eq!(q.next_page(10).page, 0);
        assert!(q.has_next(51));
        assert!(!q.has_next(50));
    }

    #[test]
    fn range_labels() {
        let q = KeyQuery::default();
        let last_page = KeyQuery {
            page: q.page_count(1234) - 1,
            ..q.clone()
        };
        assert_eq!(q.range_label(1234, 50), "1–50 of 1,234");
        assert_eq!(last_page.range_label(1234, 34), "1,201–1,234 of 1,234");
        assert_eq!(q.range_label(0, 0), "No keys");
        assert_eq!(q.next_page(100).next_page(100).range_label(3, 0), "0 of 3");
        assert_eq!(
            q.range_label(1, 3),
            "1–3 of 3",
            "inconsistent total never shows less"
        );
    }

    #[test]
    fn counts() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1000), "1,000");
        assert_eq!(format_count(1_234_567), "1,234,567");
        assert_eq!(format_count(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn groups() {
        assert_eq!(groups_query(0, 100), "skip=0&limit=100&sort=name");
    }

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for f in StateFilter::ALL {
            assert_eq!(f.as_str().parse(), Ok(f));
        }
        for f in SortField::ALL {
            assert_eq!(f.as_str().parse(), Ok(f));
        }
        assert_eq!("Enabled".parse::<StateFilter>(), Err(UnknownName));
        assert_eq!("".parse::<SortField>(), Err(UnknownName));
        assert_eq!("sap_group_name".parse::<SortField>(), Err(UnknownName));
        let names: std::collections::HashSet<_> = StateFilter::ALL.map(StateFilter::as_str).into();
        assert_eq!(names.len(), StateFilter::ALL.len(), "one name each");
    }
}
