//! Reads a tabular file into text cells: CSV, or the first sheet of an XLSX/XLS/ODS workbook.
//! Used by the finance sales-report import and the stock mapping file. Cells read as the text a
//! person sees: dates as `YYYY-MM-DD`, whole numbers without `.0` (part numbers are numbers in
//! Excel; a leading zero typed into a number cell is already lost), other numbers as the shortest
//! decimal text that round-trips. CSV cells are kept verbatim (leading zeros stay).
use anyhow::{anyhow, Context};
use calamine::{Data, Reader};
use std::path::Path;

/// A table of text cells: the header, then the rows, and the spreadsheet row of the header.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The spreadsheet row of the header.
    pub header_row: usize,
}

fn is_workbook(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    matches!(ext.as_deref(), Some("xlsx" | "xlsm" | "xlsb" | "xls" | "ods"))
}

/// Excel serial day (1900 system) to a date.
fn serial_date(serial: f64) -> Option<chrono::NaiveDate> {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_days(chrono::Days::new(serial.floor() as u64))
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        // Shortest text that reads back as the same double: 12.5 → "12.5", never 12.4999…
        Data::Float(f) => format!("{f}"),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => serial_date(dt.as_f64()).map(|d| d.to_string()).unwrap_or_else(|| dt.as_f64().to_string()),
    }
}

fn read_workbook(path: &Path) -> anyhow::Result<Table> {
    let mut wb = calamine::open_workbook_auto(path).with_context(|| format!("opening {}", path.display()))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| anyhow!("{} has no sheet", path.display()))?
        .with_context(|| format!("reading the first sheet of {}", path.display()))?;
    let header_row = range.start().map(|(r, _)| r as usize + 1).unwrap_or(1);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    let mut rows = range.rows().map(|r| {
        let mut v: Vec<String> = vec![String::new(); first_col];
        v.extend(r.iter().map(cell_text));
        v
    });
    let header = rows.next().unwrap_or_default();
    Ok(Table { header, rows: rows.collect(), header_row })
}

fn read_csv(path: &Path) -> anyhow::Result<Table> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut all = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{} line {}", path.display(), i + 1))?;
        all.push(rec.iter().map(str::to_owned).collect::<Vec<_>>());
    }
    let mut rows = all.into_iter();
    let mut header = rows.next().unwrap_or_default();
    if let Some(first) = header.first_mut() {
        *first = first.trim_start_matches('\u{feff}').to_owned();
    }
    Ok(Table { header, rows: rows.collect(), header_row: 1 })
}

/// Reads `path` as a workbook when its extension says so (xlsx/xlsm/xlsb/xls/ods), else as CSV.
pub fn read(path: &Path) -> anyhow::Result<Table> {
    if is_workbook(path) {
        read_workbook(path)
    } else {
        read_csv(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_the_text_a_person_sees() {
        assert_eq!(cell_text(&Data::Float(58000128.0)), "58000128");
        assert_eq!(cell_text(&Data::Float(12.5)), "12.5");
        assert_eq!(cell_text(&Data::Int(7)), "7");
        assert_eq!(cell_text(&Data::String("00123".into())), "00123");
        let d = Data::DateTime(calamine::ExcelDateTime::new(45292.0, calamine::ExcelDateTimeType::DateTime, false));
        assert_eq!(cell_text(&d), "2024-01-01");
    }
}
