//! Group commit for the inbox: a committer task takes the events waiting in its channel (up
//! to `max_batch`), stores them in one transaction, commits, wakes the workers, and only then
//! answers each caller. Durability is unchanged (every answer follows a commit); the fsync is
//! shared. If a batch fails, its events are retried one transaction each, so one bad event
//! cannot make its neighbours fail.
//!
//! On a SQLite file each committer writes through a connection of its own ([`SqliteDirect`]),
//! falling back to the pool for what that path leaves.
use super::{store, store_all, InboxWrite, SqliteDirect, Stored, Written};
use crate::store::jobs::Queue;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Most events in one transaction; 1 turns group commit off.
    pub max_batch: usize,
    /// Batches in flight at once: 1 suits SQLite, which has a single writer (measured: two
    /// committers there halve the batches and lose a third of the rate); a few on PostgreSQL.
    pub committers: usize,
    /// Events that may wait for a committer before callers are held back.
    pub queue_len: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            max_batch: 256,
            committers: 1,
            queue_len: 4096,
        }
    }
}

type Reply = oneshot::Sender<Result<Stored, DbErr>>;

/// Cheap to clone; the committers stop when the last clone is dropped (after draining).
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<(InboxWrite, Reply)>,
}

impl InboxWriter {
    /// Starts the committers: on SQLite on a thread of their own, on PostgreSQL as tasks on
    /// the current Tokio runtime.
    pub fn start(queue: Queue, opts: WriterOptions) -> InboxWriter {
        let (tx, rx) = mpsc::channel(opts.queue_len.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let (committers, max_batch) = (opts.committers.max(1), opts.max_batch.max(1));
        if queue.db().get_database_backend() == DbBackend::Sqlite {
            // One thread of their own, each committer with its own connection (`SqliteDirect`):
            // a batch then runs on that thread, not behind every request task queued on the
            // shared runtime.
            std::thread::Builder::new()
                .name("inbox-committer".into())
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("the inbox committer's runtime starts");
                    rt.block_on(futures::future::join_all(
                        (0..committers).map(|_| run(queue.clone(), rx.clone(), max_batch)),
                    ));
                })
                .expect("the inbox committer's thread starts");
        } else {
            for _ in 0..committers {
                tokio::spawn(run(queue.clone(), rx.clone(), max_batch));
            }
        }
        InboxWriter { tx }
    }

    /// Stores the event; returns once it is committed (or the store failed).
    pub async fn store(&self, w: InboxWrite) -> Result<Stored, DbErr> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((w, reply))
            .await
            .map_err(|_| DbErr::Custom("the inbox writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| DbErr::Custom("the inbox writer stopped before committing".into()))?
    }
}

async fn run(queue: Queue, rx: Arc<Mutex<mpsc::Receiver<(InboxWrite, Reply)>>>, max_batch: usize) {
    let max_attempts = queue.policy().max_attempts();
    let mut direct = match SqliteDirect::open(queue.db()).await {
        Ok(direct) => direct,
        Err(e) => {
            tracing::warn!(error = %e, "the inbox committer could not open its own SQLite connection; it writes through the pool");
            None
        }
    };
    loop {
        // Whatever is waiting (at least one), up to max_batch; other committers wait their turn.
        let mut batch = Vec::with_capacity(max_batch);
        if rx.lock().await.recv_many(&mut batch, max_batch).await == 0 {
            return; // every sender is gone and the channel is drained
        }
        let writes: Vec<&InboxWrite> = batch.iter().map(|(w, _)| w).collect();
        let mut jobs_added = 0;
        let results: Vec<Result<Stored, DbErr>> = match store_batch(&queue, direct.as_mut(), &writes, max_attempts)
            .await
        {
            Ok(written) => {
                jobs_added = written.jobs_added;
                written.stored.into_iter().map(Ok).collect()
            }
            Err(e) if batch.len() == 1 => vec![Err(e)],
            Err(_) => {
                // Each on its own, concurrently: a failure is then that event's alone.
                futures::future::join_all(writes.iter().map(|w| store(queue.db(), w, max_attempts)))
                    .await
            }
        };
        // After a fallback the count is unknown: wake anyway when anything is new.
        if jobs_added > 0 || results.iter().any(|r| matches!(r, Ok(Stored::New { .. }))) {
            queue.wake();
        }
        for ((_, reply), result) in batch.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

/// One transaction for the batch: through the committer's own connection when it has one and
/// the batch is one it takes, otherwise through the pool.
async fn store_batch(
    queue: &Queue,
    direct: Option<&mut SqliteDirect>,
    writes: &[&InboxWrite],
    max_attempts: u32,
) -> Result<Written, DbErr> {
    if let Some(direct) = direct {
        if let Some(written) = direct.store_all(queue.db(), writes, max_attempts).await? {
            return Ok(written);
        }
    }
    store_all(queue.db(), writes, max_attempts).await
}
