//! The login form's progress: idle, sending, or showing why the last try failed.
use std::rc::Rc;

use crate::domain::manager_error::ManagerError;

/// Whether a login is under way, and the error shown under the form.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LoginForm {
    pub busy: bool,
    pub error: Option<ManagerError>,
}

pub(crate) enum LoginAction {
    /// Submitted without a username or a password: nothing is sent.
    Incomplete,
    Sent,
    Failed(ManagerError),
    LoggedIn,
}

impl yew::Reducible for LoginForm {
    type Action = LoginAction;

    fn reduce(self: Rc<Self>, action: LoginAction) -> Rc<Self> {
        Rc::new(match action {
            LoginAction::Incomplete => LoginForm {
                busy: self.busy,
                error: Some("Enter your username and password.".into()),
            },
            LoginAction::Sent => LoginForm {
                busy: true,
                error: None,
            },
            LoginAction::Failed(e) => LoginForm {
                busy: false,
                error: Some(e),
            },
            LoginAction::LoggedIn => LoginForm {
                busy: false,
                error: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yew::Reducible;

    #[test]
    fn a_try_clears_the_last_error_and_its_answer_ends_it() {
        let f = Rc::new(LoginForm::default());
        let f = f.reduce(LoginAction::Incomplete);
        assert!(!f.busy);
        assert_eq!(
            f.error.as_ref().map(|e| e.message.as_str()),
            Some("Enter your username and password.")
        );
        let f = f.reduce(LoginAction::Sent);
        assert_eq!(
            *f,
            LoginForm {
                busy: true,
                error: None
            }
        );
        let f = f.reduce(LoginAction::Failed("Wrong password.".into()));
        assert!(!f.busy);
        assert_eq!(
            f.error.as_ref().map(|e| e.message.as_str()),
            Some("Wrong password.")
        );
        let f = f.reduce(LoginAction::Sent).reduce(LoginAction::LoggedIn);
        assert_eq!(*f, LoginForm::default());
    }
}
