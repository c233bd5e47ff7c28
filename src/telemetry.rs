//! Logging with `tracing`: human-readable by default, JSON with `log.format = "json"`.
use crate::config::{LogConfig, LogFormat};
use std::path::Path;
use std::sync::Mutex;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once, writing to stderr; later calls (tests) are ignored.
pub fn init(cfg: &LogConfig) {
    install(cfg, std::io::stderr);
}

/// As `init`, appending to a file (the demo keeps its terminal for progress and the summary).
pub fn init_to_file(cfg: &LogConfig, path: &Path) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    install(cfg, Mutex::new(file));
    Ok(())
}

fn install<W>(cfg: &LogConfig, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false);
    let _ = match cfg.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
