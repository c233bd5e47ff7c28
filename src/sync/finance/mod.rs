//! Finance: import John Lewis's weekly sales report (file, command or inbox folder), match it
//! against what jlbridge dispatched, raise `settlement_mismatch`, and summarise each week.
pub mod import;
pub mod inbox;
pub mod reconcile;
pub mod summary_csv;

pub use import::{import_file, ImportOutcome};
pub use reconcile::{compute_week, reconcile_order, reconcile_week};
