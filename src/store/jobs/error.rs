//! What a job handler answers when it fails: retry later, or give up now.
use crate::domain::exception::ExceptionKind;
use crate::domain::retry::{Classify, Transience};
use std::fmt::Display;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct JobError {
    pub transience: Transience,
    pub message: String,
    /// The exception to open if this failure ends the job, and what it is about.
    pub exception: Option<(ExceptionKind, String)>,
}

impl JobError {
    pub fn retryable(message: impl Into<String>) -> Self {
        JobError { transience: Transience::Retryable { retry_after: None }, message: message.into(), exception: None }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        JobError { transience: Transience::Permanent, message: message.into(), exception: None }
    }
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.transience = Transience::Retryable { retry_after: Some(wait) };
        self
    }
    /// Names the exception kind and entity to open when the job dies of this error.
    pub fn exception(mut self, kind: ExceptionKind, entity: impl Into<String>) -> Self {
        self.exception = Some((kind, entity.into()));
        self
    }
    /// Builds from any boundary error, keeping its classification.
    pub fn from_boundary<E: Classify + Display>(e: &E) -> Self {
        JobError { transience: e.transience(), message: e.to_string(), exception: None }
    }
}

impl<E: Classify + Display> From<E> for JobError {
    fn from(e: E) -> Self {
        JobError::from_boundary(&e)
    }
}

impl Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
