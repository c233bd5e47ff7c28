//! John Lewis's weekly sale-or-return / D2C sales report (reference/jl-edge.md §10): text
//! cells in, typed lines out. Columns are found by header name (A Week Ending Date … J Total
//! Sales Value; a units column when present); further columns are kept as they come. Every
//! malformed cell is reported with its row and column; a report with any is refused whole.
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// The spreadsheet row (the header is row 1 unless the sheet starts lower).
    pub row: usize,
    pub week_ending: NaiveDate,
    pub day: NaiveDate,
    pub supplier_name: String,
    pub supplier_number: String,
    pub branch: String,
    pub branch_name: String,
    pub ean: String,
    /// John Lewis product code (the 8-digit part number).
    pub part_number: String,
    pub description: String,
    /// Units, when the report has a units column (negative for returns).
    pub units: Option<i64>,
    /// Total sales value, pounds; negative for returns.
    pub value: Decimal,
    /// Columns this parser does not know, by header.
    pub extra: BTreeMap<String, String>,
}

impl ReportLine {
    pub fn is_return(&self) -> bool {
        self.value < Decimal::ZERO || self.units.is_some_and(|u| u < 0)
    }
    /// The line's content without its row number (duplicates and content hashes use it).
    pub fn content_key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            self.day,
            self.supplier_name,
            self.supplier_number,
            self.branch,
            self.branch_name,
            self.ean,
            self.part_number,
            self.description,
            self.units.map(|u| u.to_string()).unwrap_or_default(),
            self.value.normalize(),
            serde_json::to_string(&self.extra).unwrap_or_default()
        )
    }
}

/// One parsed report: a single week ending, its lines in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub week_ending: NaiveDate,
    pub lines: Vec<ReportLine>,
}

impl Report {
    /// A fingerprint of the content: the same lines in any order give the same hash.
    pub fn content_hash(&self) -> String {
        let mut keys: Vec<String> = self.lines.iter().map(ReportLine::content_key).collect();
        keys.sort();
        let mut h = Sha256::new();
        h.update(self.week_ending.to_string());
        for k in keys {
            h.update(b"\n");
            h.update(k.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
    /// First day of the week (six days before the week ending).
    pub fn week_start(&self) -> NaiveDate {
        week_start(self.week_ending)
    }
}

pub fn week_start(week_ending: NaiveDate) -> NaiveDate {
    week_ending.checked_sub_days(Days::new(6)).unwrap_or(week_ending)
}

/// A malformed cell: row, column (letter and header) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {} column {}: {}", self.row, self.column, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Required columns not found in the header.
    MissingColumns(Vec<&'static str>),
    /// The report has no data rows.
    Empty,
    /// Malformed cells (all of them, in row order).
    Cells(Vec<CellError>),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::MissingColumns(c) => write!(f, "header row lacks required column(s): {}", c.join(", ")),
            ParseError::Empty => f.write_str("the report has no data rows"),
            ParseError::Cells(errs) => {
                write!(f, "{} malformed cell(s):", errs.len())?;
                for e in errs {
                    write!(f, "\n  {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ParseError {}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Col {
    WeekEnding,
    Day,
    SupplierName,
    SupplierNumber,
    Branch,
    BranchName,
    Ean,
    PartNumber,
    Description,
    Units,
    Value,
}

const REQUIRED: &[(Col, &str)] = &[
    (Col::WeekEnding, "Week Ending Date"),
    (Col::Day, "Day Date"),
    (Col::PartNumber, "Product Code"),
    (Col::Value, "Total Sales Value"),
];

fn normalise(h: &str) -> String {
    h.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

fn column_of(header: &str) -> Option<Col> {
    Some(match normalise(header).as_str() {
        "weekendingdate" | "weekending" | "weekend" => Col::WeekEnding,
        "daydate" | "day" | "date" | "transactiondate" => Col::Day,
        "orderingsuppliername" | "suppliername" => Col::SupplierName,
        "orderingsuppliernumber" | "suppliernumber" => Col::SupplierNumber,
        "branch" | "branchcode" | "branchnumber" => Col::Branch,
        "branchshortname" | "branchname" => Col::BranchName,
        "eanproductcode" | "ean" | "eancode" => Col::Ean,
        "productcodejlcode" | "productcode" | "jlproductcode" | "jlcode" | "partnumber" => Col::PartNumber,
        "productdescription" | "description" => Col::Description,
        "units" | "totalsalesunits" | "salesunits" | "totalunits" | "quantity" | "qty" | "unitssold" => Col::Units,
        "totalsalesvalue" | "salesvalue" | "totalvalue" => Col::Value,
        _ => return None,
    })
}

/// Spreadsheet column letter of a 0-based index (0 → A, 26 → AA).
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

/// Dates as reports carry them: `2026-11-22`, `22/11/2026`, `22.11.2026`, `22-Nov-2026`,
/// with any time part ignored.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let t = s.trim();
    let t = t.split(['T', ' ']).next().unwrap_or(t);
    for f in ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%b-%Y", "%d-%m-%Y", "%d/%m/%y"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Ok(d);
        }
    }
    Err(format!("{s:?} is not a date (use YYYY-MM-DD or DD/MM/YYYY)"))
}

/// Money as reports carry it: `1234.50`, `£1,234.50`, `-12.00`, `(12.00)`; at most 2 decimals.
pub fn parse_value(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("is empty; a sales value is required".to_owned());
    }
    let (neg, inner) = match t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        Some(x) => (true, x),
        None => (false, t),
    };
    let cleaned: String = inner.chars().filter(|c| !matches!(c, '£' | ',' | ' ')).collect();
    let d: Decimal = cleaned.parse().map_err(|_| format!("{s:?} is not an amount of money"))?;
    let d = if neg { -d } else { d };
    if d.normalize().scale() > 2 {
        return Err(format!("{s:?} has more than two decimal places"));
    }
    Ok(d)
}

fn parse_units(s: &str) -> Result<Option<i64>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let t = t.strip_suffix(".0").unwrap_or(t);
    t.parse::<i64>().map(Some).map_err(|_| format!("{s:?} is not a whole number of units"))
}

/// Parses the header and rows. `first_row` is the spreadsheet row of the header (1 usually).
pub fn parse(header: &[String], rows: &[Vec<String>], first_row: usize) -> Result<Report, ParseError> {
    let cols: Vec<Option<Col>> = header.iter().map(|h| column_of(h)).collect();
    let find = |c: Col| cols.iter().position(|x| *x == Some(c));
    let missing: Vec<&'static str> = REQUIRED.iter().filter(|(c, _)| find(*c).is_none()).map(|(_, n)| *n).collect();
    if !missing.is_empty() {
        return Err(ParseError::MissingColumns(missing));
    }
    let name = |i: usize| format!("{} ({:?})", column_letter(i), header[i].trim());
    let mut lines = Vec::new();
    let mut errs = Vec::new();
    for (k, cells) in rows.iter().enumerate() {
        let row = first_row + 1 + k;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: Col| find(c).and_then(|i| cells.get(i)).map(|s| s.trim().to_owned()).unwrap_or_default();
        let mut bad = |c: Col, message: String| {
            errs.push(CellError { row, column: name(find(c).expect("found")), message });
        };
        let week = parse_date(&cell(Col::WeekEnding)).map_err(|m| bad(Col::WeekEnding, m)).ok();
        let day = parse_date(&cell(Col::Day)).map_err(|m| bad(Col::Day, m)).ok();
        let value = parse_value(&cell(Col::Value)).map_err(|m| bad(Col::Value, m)).ok();
        let units = if find(Col::Units).is_some() { parse_units(&cell(Col::Units)).map_err(|m| bad(Col::Units, m)).ok().flatten() } else { None };
        let part = cell(Col::PartNumber);
        if part.is_empty() {
            bad(Col::PartNumber, "is empty; the John Lewis product code is required".to_owned());
        } else if !part.chars().all(|c| c.is_ascii_alphanumeric()) {
            bad(Col::PartNumber, format!("{part:?} is not a product code"));
        }
        if let (Some(w), Some(d)) = (week, day) {
            if d > w {
                bad(Col::Day, format!("day {d} is after the week ending {w}"));
            } else if d < week_start(w).checked_sub_days(Days::new(7)).unwrap_or(d) {
                bad(Col::Day, format!("day {d} is more than a week before the week starting {}", week_start(w)));
            }
        }
        let extra = header
            .iter()
            .enumerate()
            .filter(|(i, h)| cols[*i].is_none() && !h.trim().is_empty())
            .map(|(i, h)| (h.trim().to_owned(), cells.get(i).map(|s| s.trim().to_owned()).unwrap_or_default()))
            .collect();
        if let (Some(week_ending), Some(day), Some(value)) = (week, day, value) {
            lines.push(ReportLine {
                row,
                week_ending,
                day,
                supplier_name: cell(Col::SupplierName),
                supplier_number: cell(Col::SupplierNumber),
                branch: cell(Col::Branch),
                branch_name: cell(Col::BranchName),
                ean: cell(Col::Ean),
                part_number: part,
                description: cell(Col::Description),
                units,
                value,
                extra,
            });
        }
    }
    if let Some(first) = lines.first() {
        let w = first.week_ending;
        if let Some(i) = find(Col::WeekEnding) {
            for l in lines.iter().filter(|l| l.week_ending != w) {
                errs.push(CellError {
                    row: l.row,
                    column: name(i),
                    message: format!("week ending {} differs from {w} on row {}; one report is one week", l.week_ending, first.row),
                });
            }
        }
    }
    if !errs.is_empty() {
        errs.sort_by_key(|e| e.row);
        return Err(ParseError::Cells(errs));
    }
    let Some(first) = lines.first() else { return Err(ParseError::Empty) };
    Ok(Report { week_ending: first.week_ending, lines })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    const HEADER: &[&str] = &[
        "Week Ending Date", "Day Date", "Ordering Supplier Name", "Ordering Supplier Number", "Branch",
        "Branch Short Name", "EAN Product Code", "Product Code", "Product_Description", "Total Sales Value", "Units", "Tax Code",
    ];

    #[test]
    fn parses_lines_and_keeps_extra_columns() {
        let rows = vec![
            s(&["2026-11-22", "20/11/2026", "Acme", "123", "561", "JL.com", "5012345678900", "71000012", "Kettle", "£1,059.98", "2", "S"]),
            s(&["2026-11-22", "2026-11-21", "Acme", "123", "561", "JL.com", "5012345678900", "71000012", "Kettle", "(29.99)", "-1", "S"]),
        ];
        let r = parse(&s(HEADER), &rows, 1).unwrap();
        assert_eq!(r.week_ending, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert_eq!(r.lines[0].value, Decimal::new(105998, 2));
        assert_eq!(r.lines[0].row, 2);
        assert_eq!(r.lines[1].value, Decimal::new(-2999, 2));
        assert!(r.lines[1].is_return());
        assert_eq!(r.lines[0].extra.get("Tax Code").map(String::as_str), Some("S"));
    }

    #[test]
    fn errors_name_row_and_column() {
        let rows = vec![
            s(&["2026-11-22", "2026-11-20", "Acme", "1", "561", "JL", "5", "71000012", "K", "12.345", "1", ""]),
            s(&["2026-11-22", "yesterday", "Acme", "1", "561", "JL", "5", "", "K", "abc", "x", ""]),
        ];
        let ParseError::Cells(errs) = parse(&s(HEADER), &rows, 1).unwrap_err() else { panic!() };
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(text[0].starts_with("row 2 column J (\"Total Sales Value\")"), "{text:?}");
        assert!(text.iter().any(|t| t.starts_with("row 3 column B (\"Day Date\")")), "{text:?}");
        assert!(text.iter().any(|t| t.starts_with("row 3 column H (\"Product Code\")")), "{text:?}");
        assert!(text.iter().any(|t| t.starts_with("row 3 column K (\"Units\")")), "{text:?}");
        assert_eq!(errs.len(), 5);
    }

    #[test]
    fn missing_columns_are_named() {
        let e = parse(&s(&["Week Ending Date", "Day Date"]), &[], 1).unwrap_err();
        assert_eq!(e, ParseError::MissingColumns(vec!["Product Code", "Total Sales Value"]));
    }

    #[test]
    fn content_hash_ignores_row_order() {
        let a = s(&["2026-11-22", "2026-11-20", "A", "1", "561", "JL", "5", "71000012", "K", "10.00", "1", ""]);
        let b = s(&["2026-11-22", "2026-11-21", "A", "1", "561", "JL", "5", "71000013", "K", "10.00", "1", ""]);
        let r1 = parse(&s(HEADER), &[a.clone(), b.clone()], 1).unwrap();
        let r2 = parse(&s(HEADER), &[b, a], 1).unwrap();
        assert_eq!(r1.content_hash(), r2.content_hash());
        assert_eq!(column_letter(26), "AA");
    }
}
