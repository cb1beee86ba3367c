//! The job list's filters: phase, operation and a key-name search, with a count per value.

use crate::api::jobs::Operation;
use crate::domain::job_state::JobPhase;
use crate::domain::ledger::LedgerEntry;

/// What became of a job, as the filter offers it. `Drift` overlaps the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhaseFilter {
    Running,
    Failed,
    Succeeded,
    Unknown,
    Drift,
}

impl PhaseFilter {
    pub const ALL: [PhaseFilter; 5] = [
        PhaseFilter::Running,
        PhaseFilter::Failed,
        PhaseFilter::Succeeded,
        PhaseFilter::Unknown,
        PhaseFilter::Drift,
    ];

    /// The word in the URL.
    pub fn word(self) -> &'static str {
        match self {
            PhaseFilter::Running => "running",
            PhaseFilter::Failed => "failed",
            PhaseFilter::Succeeded => "succeeded",
            PhaseFilter::Unknown => "unknown",
            PhaseFilter::Drift => "drift",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PhaseFilter::Running => "Running",
            PhaseFilter::Failed => "Failed",
            PhaseFilter::Succeeded => "Succeeded",
            PhaseFilter::Unknown => "Unknown",
            PhaseFilter::Drift => "Key did not change",
        }
    }

    /// The filter a URL word names; anything else is none.
    pub fn parse(word: &str) -> Option<PhaseFilter> {
        PhaseFilter::ALL.into_iter().find(|p| p.word() == word)
    }

    pub fn matches(self, e: &LedgerEntry) -> bool {
        match self {
            PhaseFilter::Running => e.phase == JobPhase::Running,
            PhaseFilter::Failed => e.phase == JobPhase::Failed,
            PhaseFilter::Succeeded => e.phase == JobPhase::Succeeded,
            PhaseFilter::Unknown => matches!(
                e.phase,
                JobPhase::UnknownToManager | JobPhase::NoLongerWatched
            ),
            PhaseFilter::Drift => e.is_drift(),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The filters set on the job list; the default shows every job.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub phase: Option<PhaseFilter>,
    pub operation: Option<Operation>,
    /// Part of the key's name or CCKM id, any case.
    pub search: String,
}

impl JobFilter {
    pub fn is_active(&self) -> bool {
        self.phase.is_some() || self.operation.is_some() || !self.search.trim().is_empty()
    }

    /// A matcher for this filter (the search lower-cased once).
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher {
            filter: self,
            needle: self.search.trim().to_lowercase(),
        }
    }
}

/// A [`JobFilter`] ready to test many jobs.
pub struct Matcher<'a> {
    filter: &'a JobFilter,
    needle: String,
}

impl Matcher<'_> {
    pub fn matches(&self, e: &LedgerEntry) -> bool {
        self.phase_ok(e) && self.operation_ok(e) && self.search_ok(e)
    }

    fn phase_ok(&self, e: &LedgerEntry) -> bool {
        self.filter.phase.is_none_or(|p| p.matches(e))
    }

    fn operation_ok(&self, e: &LedgerEntry) -> bool {
        self.filter.operation.is_none_or(|o| o == e.operation)
    }

    fn search_ok(&self, e: &LedgerEntry) -> bool {
        self.needle.is_empty()
            || contains_folded(&e.key_name, &self.needle)
            || contains_folded(&e.id, &self.needle)
    }
}

/// Whether `hay` holds `needle` (already lower-case), ignoring case; allocates only for a
/// name that is not ASCII.
fn contains_folded(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        n.len() <= h.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(needle)
    }
}

/// How many jobs each filter value would show, the other filters kept as they are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterCounts {
    /// Per [`PhaseFilter::ALL`].
    pub phase: [usize; 5],
    /// Delete, restore.
    pub operation: [usize; 2],
    /// Jobs with the phase and operation filters off, the search kept.
    pub any: usize,
    /// Jobs of any phase, the other filters kept (the phase filter's "All").
    pub any_phase: usize,
    /// Jobs of either operation, the other filters kept (the operation filter's "All").
    pub any_operation: usize,
    /// Jobs every filter lets through.
    pub shown: usize,
}

impl FilterCounts {
    pub fn of_phase(&self, p: PhaseFilter) -> usize {
        self.phase[p.index()]
    }

    pub fn of_operation(&self, op: Operation) -> usize {
        self.operation[op_index(op)]
    }
}

fn op_index(op: Operation) -> usize {
    match op {
        Operation::Delete => 0,
        Operation::Restore => 1,
    }
}

/// The counts for `filter` over `entries`, in one pass.
pub fn filter_counts<E: AsRef<LedgerEntry>>(entries: &[E], filter: &JobFilter) -> FilterCounts {
    let m = filter.matcher();
    let mut c = FilterCounts::default();
    for e in entries {
        c.tally(&m, e.as_ref(), true);
    }
    c
}

impl FilterCounts {
    /// Counts `e` in (`add`) or out; counting a job out that was counted in leaves no trace.
    fn tally(&mut self, m: &Matcher, e: &LedgerEntry, add: bool) {
        if !m.search_ok(e) {
            return;
        }
        let bump = |n: &mut usize, yes: bool| {
            if yes {
                *n = if add { *n + 1 } else { n.saturating_sub(1) };
            }
        };
        let (phase_ok, op_ok) = (m.phase_ok(e), m.operation_ok(e));
        bump(&mut self.any, true);
        bump(&mut self.any_phase, op_ok);
        bump(&mut self.any_operation, phase_ok);
        for p in PhaseFilter::ALL {
            bump(&mut self.phase[p.index()], op_ok && p.matches(e));
        }
        bump(&mut self.operation[op_index(e.operation)], phase_ok);
        bump(&mut self.shown, phase_ok && op_ok);
    }

    /// The counts once the job `before` became `after` (the same job, changed in place).
    pub fn changed(&mut self, filter: &JobFilter, before: &LedgerEntry, after: &LedgerEntry) {
        let m = filter.matcher();
        self.tally(&m, before, false);
        self.tally(&m, after, true);
    }
}
