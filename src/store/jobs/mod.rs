//! The durable job queue: enqueue inside the caller's transaction, claim with a lease,
//! record every attempt, retry on the schedule, dead-letter into the exception queue.
pub mod batch;
mod error;
mod kind;
mod queue;
mod worker;

pub use error::JobError;
pub use kind::JobKind;
pub(crate) use queue::{insert_jobs, ROWS_PER_INSERT as JOB_ROWS_PER_INSERT};
pub use queue::{enqueue, enqueue_count, enqueue_many, ClaimedJob, FailOutcome, NewJob, Queue, QueueDepth};
pub use worker::{run_one, JobHandler, JobObserver, JobOutcome, WorkerPool, WorkerPulse};
