//! Simulated marketplace and shop APIs on loopback, with state, the documented behaviours and
//! fault injection; used by `jlbridge sandbox`, `jlbridge demo` and the tests.
pub mod call_log;
pub mod edge;
pub mod edge_files;
pub mod faults;
pub mod magento;

pub use call_log::{CallLog, CallRecord};
pub use faults::{Fault, FaultPlan, FaultRule};
