//! The summary table: each scenario adds a row with its figures; the table of every row
//! collected so far (in this test binary) is printed after each scenario and appended to
//! `$TMPDIR/jlbridge-reliability-summary.md`.
use std::io::Write;
use std::sync::Mutex;

static ROWS: Mutex<Vec<(String, String, String)>> = Mutex::new(Vec::new());

/// Records a scenario's outcome and figures, and prints the collected table.
pub fn record(scenario: &str, outcome: &str, figures: &[(&str, String)]) {
    let figures = figures.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ");
    let table = {
        let mut rows = ROWS.lock().unwrap();
        rows.push((scenario.to_owned(), outcome.to_owned(), figures.clone()));
        let mut t = String::from("\n| scenario | outcome | figures |\n|---|---|---|\n");
        for (s, o, f) in rows.iter() {
            t.push_str(&format!("| {s} | {o} | {f} |\n"));
        }
        t
    };
    println!("{table}");
    let path = std::env::temp_dir().join("jlbridge-reliability-summary.md");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "| {scenario} | {outcome} | {figures} |");
    }
}

/// A count from the environment, or the default.
pub fn env_count(var: &str, default: u64) -> u64 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
