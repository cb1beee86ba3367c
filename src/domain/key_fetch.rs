//! A page of keys as the table shows it while pages are fetched: loading, loaded or failed,
//! keeping the page before on screen while the next one loads.
use std::rc::Rc;

use crate::api::error::ApiError;
use crate::api::keys::SapKey;

/// A page of keys as the table shows it.
#[derive(Clone, PartialEq, Debug)]
pub struct KeyPage {
    pub keys: Rc<Vec<SapKey>>,
    pub total: u64,
    /// Resources the page could not read and left out.
    pub skipped: usize,
    pub messages: Vec<String>,
}

/// Loading and failed cannot both be true: each state has its own variant.
#[derive(Clone, PartialEq, Debug)]
pub enum FetchState<T> {
    Loading {
        previous: Option<T>,
    },
    Loaded(T),
    Failed {
        error: ApiError,
        previous: Option<T>,
    },
}

impl<T: Clone> FetchState<T> {
    /// The page to show: the one loaded, or while loading or failed the one before.
    pub fn data(&self) -> Option<&T> {
        match self {
            FetchState::Loading { previous } | FetchState::Failed { previous, .. } => {
                previous.as_ref()
            }
            FetchState::Loaded(t) => Some(t),
        }
    }
}

impl<T> FetchState<T> {
    /// Whether a new request shows as loading at once: with nothing on screen, or after an error
    /// (a retry). Otherwise the page stays until the answer, and shows as loading only if slow.
    pub(crate) fn loads_at_once(&self) -> bool {
        matches!(
            self,
            FetchState::Loading { previous: None } | FetchState::Failed { .. }
        )
    }
}

pub enum FetchAction<T> {
    /// A request was sent.
    Sent,
    /// The request is slow: show it as loading.
    Slow,
    Answered(Result<T, ApiError>),
}

impl<T: Clone + PartialEq + 'static> yew::Reducible for FetchState<T> {
    type Action = FetchAction<T>;

    fn reduce(self: Rc<Self>, action: FetchAction<T>) -> Rc<Self> {
        let previous = self.data().cloned();
        let next = match action {
            FetchAction::Sent if !self.loads_at_once() => return self,
            FetchAction::Sent | FetchAction::Slow => FetchState::Loading { previous },
            FetchAction::Answered(Ok(t)) => FetchState::Loaded(t),
            FetchAction::Answered(Err(error)) => FetchState::Failed { error, previous },
        };
        // The same state again would only render the page once more.
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yew::Reducible;

    type State = Rc<FetchState<u32>>;

    fn start() -> State {
        Rc::new(FetchState::Loading { previous: None })
    }

    #[test]
    fn the_first_page_loads_at_once_and_sending_again_changes_nothing() {
        let s = start();
        assert!(s.loads_at_once());
        let again = s.clone().reduce(FetchAction::Sent);
        assert!(Rc::ptr_eq(&s, &again), "no second render on mount");
        let s = s.reduce(FetchAction::Answered(Ok(1)));
        assert_eq!(*s, FetchState::Loaded(1));
        assert_eq!(s.data(), Some(&1));
    }

    #[test]
    fn a_next_page_keeps_the_old_one_until_it_is_slow() {
        let s = start().reduce(FetchAction::Answered(Ok(1)));
        assert!(!s.loads_at_once());
        let sent = s.clone().reduce(FetchAction::Sent);
        assert!(
            Rc::ptr_eq(&s, &sent),
            "a quick answer never flashes Loading"
        );
        let slow = sent.reduce(FetchAction::Slow);
        assert_eq!(*slow, FetchState::Loading { previous: Some(1) });
        assert_eq!(slow.data(), Some(&1));
        let s = slow.reduce(FetchAction::Answered(Ok(2)));
        assert_eq!(*s, FetchState::Loaded(2));
    }

    #[test]
    fn a_failure_keeps_the_page_before_and_a_retry_loads_at_once() {
        let s = start().reduce(FetchAction::Answered(Ok(1)));
        let failed = s.reduce(FetchAction::Answered(Err(ApiError::network(
            "Failed to fetch",
        ))));
        assert!(matches!(
            *failed,
            FetchState::Failed {
                previous: Some(1),
                ..
            }
        ));
        assert!(failed.loads_at_once());
        let retry = failed.reduce(FetchAction::Sent);
        assert_eq!(*retry, FetchState::Loading { previous: Some(1) });
        let never = start().reduce(FetchAction::Answered(Err(ApiError::timeout(1000))));
        assert_eq!(never.data(), None);
    }
}
