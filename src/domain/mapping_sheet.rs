//! John Lewis's mapping spreadsheet (`sku,part_number`, other columns kept), checked row by
//! row. Pure: the caller reads the file (CSV or XLSX) into text cells. Rows are numbered as a
//! spreadsheet shows them (the header is row 1). Nothing is fixed silently: a SKU with
//! surrounding spaces is refused, not trimmed; a part number that lost its leading zero is refused.
use super::order::PartNumber;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// An accepted row.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRow {
    pub row: usize,
    pub sku: String,
    pub part_number: PartNumber,
    /// The other non-empty columns, by header.
    pub extra: Option<Value>,
}

/// A refused row and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub row: usize,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    pub accepted: Vec<SheetRow>,
    pub refused: Vec<Refused>,
}

/// `Part Number`, ` part-number ` and `PART_NUMBER` all name `part_number`.
fn header_key(h: &str) -> String {
    h.trim().to_lowercase().replace([' ', '-'], "_")
}

/// Checks the header and every row. Fails only when the header lacks `sku` or `part_number`.
pub fn check(header: &[String], rows: &[Vec<String>]) -> Result<Sheet, String> {
    let keys: Vec<String> = header.iter().map(|h| header_key(h)).collect();
    let col = |name: &str| keys.iter().position(|k| k == name);
    let (Some(sku_col), Some(pn_col)) = (col("sku"), col("part_number")) else {
        return Err(format!(
            "the first row must name the columns sku and part_number (found: {})",
            header.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>().join(", ")
        ));
    };
    let cell = |r: &Vec<String>, i: usize| r.get(i).cloned().unwrap_or_default();
    let mut sheet = Sheet::default();
    let mut candidates = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let row = i + 2;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let (sku, pn_raw) = (cell(r, sku_col), cell(r, pn_col));
        let refuse = |reason: String| Refused { row, reason };
        if sku.trim().is_empty() {
            sheet.refused.push(refuse("empty SKU".into()));
            continue;
        }
        if sku.trim() != sku {
            sheet.refused.push(refuse(format!("SKU {sku:?} has surrounding spaces (SKUs must match Magento exactly)")));
            continue;
        }
        let pn = match PartNumber::parse(pn_raw.trim()) {
            Ok(pn) => pn,
            Err(_) if pn_raw.trim().is_empty() => {
                sheet.refused.push(refuse(format!("SKU {sku:?}: empty part number")));
                continue;
            }
            Err(_) => {
                let hint = if pn_raw.trim().len() < 8 && pn_raw.trim().bytes().all(|b| b.is_ascii_digit()) {
                    " (fewer than 8 digits: a leading zero lost in a spreadsheet?)"
                } else {
                    ""
                };
                sheet.refused.push(refuse(format!("SKU {sku:?}: bad part number {pn_raw:?}, not 8 digits{hint}")));
                continue;
            }
        };
        let mut extra = Map::new();
        for (j, h) in header.iter().enumerate() {
            let v = cell(r, j);
            if j != sku_col && j != pn_col && !v.is_empty() && !h.trim().is_empty() {
                extra.insert(h.trim().to_owned(), Value::String(v));
            }
        }
        let extra = (!extra.is_empty()).then_some(Value::Object(extra));
        candidates.push(SheetRow { row, sku, part_number: pn, extra });
    }
    // A SKU or part number given twice with different partners is ambiguous: refuse every
    // occurrence. The same pair repeated is kept once.
    let mut by_sku: HashMap<&str, Vec<&SheetRow>> = HashMap::new();
    let mut by_pn: HashMap<&str, Vec<&SheetRow>> = HashMap::new();
    for c in &candidates {
        by_sku.entry(c.sku.as_str()).or_default().push(c);
        by_pn.entry(c.part_number.as_str()).or_default().push(c);
    }
    let rows_of = |v: &[&SheetRow], me: usize| {
        v.iter().filter(|o| o.row != me).map(|o| o.row.to_string()).collect::<Vec<_>>().join(", ")
    };
    for c in &candidates {
        let same_sku = &by_sku[c.sku.as_str()];
        let same_pn = &by_pn[c.part_number.as_str()];
        let reason = if same_sku.iter().any(|o| o.part_number != c.part_number) {
            Some(format!("duplicate SKU {:?} with different part numbers (rows {})", c.sku, rows_of(same_sku, c.row)))
        } else if same_pn.iter().any(|o| o.sku != c.sku) {
            Some(format!("duplicate part number {} for different SKUs (rows {})", c.part_number, rows_of(same_pn, c.row)))
        } else if same_sku[0].row != c.row {
            Some(format!("duplicate SKU {:?}: repeats row {}", c.sku, same_sku[0].row))
        } else {
            None
        };
        match reason {
            Some(reason) => sheet.refused.push(Refused { row: c.row, reason }),
            None => sheet.accepted.push(c.clone()),
        }
    }
    sheet.refused.sort_by_key(|r| r.row);
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn refuses_each_bad_row_with_its_number_and_reason() {
        let header = s(&["SKU", "Part Number", "Description"]);
        let rows = vec![
            s(&["TEE-RED-M", "58000128", "Red tee"]), // 2 ok
            s(&["", "58000129", ""]),                 // 3 empty SKU
            s(&["MUG", "5800013", ""]),               // 4 7 digits
            s(&["BOWL", "58A00131", ""]),             // 5 letters
            s(&["DUP", "11111111", ""]),              // 6 dup SKU, other pn
            s(&["DUP", "22222222", ""]),              // 7
            s(&["A", "33333333", ""]),                // 8 dup pn, other SKU
            s(&["B", "33333333", ""]),                // 9
            s(&["SAME", "44444444", "x"]),            // 10 ok
            s(&["SAME", "44444444", "y"]),            // 11 repeat
            s(&["", "", ""]),                         // 12 blank: skipped
            s(&[" PAD", "55555555", ""]),             // 13 spaces
            s(&["NOPN", "", ""]),                     // 14 empty part number
            s(&["TRIMMED-PN", " 66666666 ", ""]),     // 15 ok (part numbers are digits only)
        ];
        let sheet = check(&header, &rows).unwrap();
        let ok: Vec<(usize, &str, &str)> =
            sheet.accepted.iter().map(|r| (r.row, r.sku.as_str(), r.part_number.as_str())).collect();
        assert_eq!(ok, [(2, "TEE-RED-M", "58000128"), (10, "SAME", "44444444"), (15, "TRIMMED-PN", "66666666")]);
        assert_eq!(sheet.accepted[0].extra, Some(serde_json::json!({"Description": "Red tee"})));
        let refused: Vec<(usize, &str)> = sheet.refused.iter().map(|r| (r.row, r.reason.as_str())).collect();
        let expect: &[(usize, &str)] = &[
            (3, "empty SKU"),
            (4, "SKU \"MUG\": bad part number \"5800013\", not 8 digits (fewer than 8 digits"),
            (5, "SKU \"BOWL\": bad part number \"58A00131\", not 8 digits"),
            (6, "duplicate SKU \"DUP\" with different part numbers (rows 7)"),
            (7, "duplicate SKU \"DUP\" with different part numbers (rows 6)"),
            (8, "duplicate part number 33333333 for different SKUs (rows 9)"),
            (9, "duplicate part number 33333333 for different SKUs (rows 8)"),
            (11, "duplicate SKU \"SAME\": repeats row 10"),
            (13, "SKU \" PAD\" has surrounding spaces"),
            (14, "SKU \"NOPN\": empty part number"),
        ];
        assert_eq!(refused.len(), expect.len(), "{refused:#?}");
        for ((row, reason), (want_row, want)) in refused.iter().zip(expect) {
            assert_eq!(row, want_row);
            assert!(reason.starts_with(want), "row {row}: {reason:?} should start with {want:?}");
        }
    }

    #[test]
    fn header_must_name_both_columns() {
        let err = check(&s(&["sku", "jl_code"]), &[]).unwrap_err();
        assert!(err.contains("sku and part_number") && err.contains("\"jl_code\""), "{err}");
        assert!(check(&s(&[" part_number", "Sku "]), &[s(&["12345678", "X"])]).unwrap().accepted[0].sku == "X");
    }
}
