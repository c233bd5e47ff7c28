//! Reads John Lewis's mapping spreadsheet (CSV, or the first sheet of an XLSX/XLS/ODS file)
//! into text cells (`sync::sheet`), then checks it with `domain::mapping_sheet`.
use crate::domain::mapping_sheet::{self, Sheet};
use crate::sync::sheet;
use anyhow::anyhow;
use std::path::Path;

/// Reads and checks a mapping file; row numbers in the result are the file's own.
pub fn read(path: &Path) -> anyhow::Result<Sheet> {
    let t = sheet::read(path)?;
    let mut sheet = mapping_sheet::check(&t.header, &t.rows).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let shift = t.header_row - 1;
    sheet.accepted.iter_mut().for_each(|r| r.row += shift);
    sheet.refused.iter_mut().for_each(|r| r.row += shift);
    Ok(sheet)
}
