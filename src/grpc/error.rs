//! Errors of the control plane, mapped to gRPC status codes in one place.
use sea_orm::DbErr;
use tonic::Status;

#[derive(Debug)]
pub enum ApiError {
    /// The thing named does not exist (`NOT_FOUND`).
    NotFound(String),
    /// The request itself is wrong (`INVALID_ARGUMENT`).
    Invalid(String),
    /// Valid, but not possible in the current state (`FAILED_PRECONDITION`).
    Precondition(String),
    /// The database did not answer (`UNAVAILABLE`: try again).
    Db(DbErr),
}

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        ApiError::Db(e)
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Status {
        match e {
            ApiError::NotFound(m) => Status::not_found(m),
            ApiError::Invalid(m) => Status::invalid_argument(m),
            ApiError::Precondition(m) => Status::failed_precondition(m),
            ApiError::Db(e) => {
                tracing::warn!(error = %e, "control plane: database error");
                Status::unavailable("the database did not answer; try again shortly")
            }
        }
    }
}

/// Shorthand for handlers: any `ApiError` or `DbErr` becomes the right `Status`.
pub fn status(e: impl Into<ApiError>) -> Status {
    e.into().into()
}
