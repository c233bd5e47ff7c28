//! The sales report inbox: a folder polled for CSV/XLSX files. Each file is imported and
//! moved to `processed/`; a file that cannot be imported moves to `rejected/` next to a
//! `<name>.error.txt` saying why (row and column for malformed cells). Files still being
//! written (modified within the last two seconds) wait for the next look.
use super::import::import_file;
use crate::domain::money::Currency;
use crate::ops::Ops;
use sea_orm::DatabaseConnection;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

const SETTLE: Duration = Duration::from_secs(2);

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct InboxPass {
    pub processed: Vec<PathBuf>,
    pub rejected: Vec<PathBuf>,
}

fn is_report(p: &Path) -> bool {
    let ext = p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    matches!(ext.as_deref(), Some("csv" | "xlsx" | "xlsm" | "xls" | "ods"))
}

/// A free name in `dir` for `name` (adds a time stamp when one is taken).
fn target(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    if !p.exists() {
        return p;
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3f");
    dir.join(format!("{stamp}-{name}"))
}

/// Looks at the inbox once. `settle` is how long a file must be untouched (0 in tests).
pub async fn poll_once(
    db: &DatabaseConnection,
    ops: Option<&Ops>,
    dir: &Path,
    currency: Currency,
    settle: Duration,
) -> std::io::Result<InboxPass> {
    let processed = dir.join("processed");
    let rejected = dir.join("rejected");
    tokio::fs::create_dir_all(&processed).await?;
    tokio::fs::create_dir_all(&rejected).await?;
    let mut files = Vec::new();
    let mut rd = tokio::fs::read_dir(dir).await?;
    while let Some(e) = rd.next_entry().await? {
        let meta = e.metadata().await?;
        let p = e.path();
        if !meta.is_file() || !is_report(&p) {
            continue;
        }
        let fresh = meta.modified().ok().and_then(|m| SystemTime::now().duration_since(m).ok()).is_some_and(|age| age < settle);
        if !fresh {
            files.push(p);
        }
    }
    files.sort();
    let mut pass = InboxPass::default();
    for p in files {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match import_file(db, ops, &p, "inbox", currency).await {
            Ok(outcome) => {
                tracing::info!(file = %name, outcome = %outcome.summary(), "sales report imported from the inbox");
                let to = target(&processed, &name);
                tokio::fs::rename(&p, &to).await?;
                pass.processed.push(to);
            }
            Err(e) if e.downcast_ref::<sea_orm::DbErr>().is_some() => {
                // The database, not the file: leave it for the next look.
                tracing::warn!(file = %name, error = %e, "sales report import failed; will try again");
            }
            Err(e) => {
                tracing::warn!(file = %name, error = %e, "sales report refused; moved to rejected/");
                let to = target(&rejected, &name);
                tokio::fs::rename(&p, &to).await?;
                let mut err_path = to.clone().into_os_string();
                err_path.push(".error.txt");
                tokio::fs::write(&err_path, format!("{e:#}\n")).await?;
                pass.rejected.push(to);
            }
        }
    }
    Ok(pass)
}

/// Polls the inbox until `stop`.
pub async fn run(db: DatabaseConnection, ops: Ops, dir: PathBuf, every: Duration, currency: Currency, stop: CancellationToken) {
    loop {
        if let Err(e) = poll_once(&db, Some(&ops), &dir, currency, SETTLE).await {
            tracing::warn!(dir = %dir.display(), error = %e, "sales report inbox could not be read");
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
