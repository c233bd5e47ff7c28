//! The product mapping: Magento SKU ↔ John Lewis part number ↔ The Edge's product id.
use super::entities::product_mapping::{self, Entity as Mappings};
use super::{now_ms, stmt};
use crate::domain::order::PartNumber;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

pub use product_mapping::Model as Mapping;

/// One row to import.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingRow {
    pub sku: String,
    pub part_number: PartNumber,
    /// Other spreadsheet columns (a JSON object), kept as they were.
    pub extra: Option<serde_json::Value>,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub added: usize,
    /// The SKU now has another part number (its product id and verification are reset).
    pub part_number_changed: usize,
    /// A part number left the SKU that held it for the SKU named in this import.
    pub moved_from_other_sku: usize,
    pub unchanged: usize,
}

/// Adds or updates every row in one transaction. The file is the newer word: a part number
/// now given to another SKU leaves its old SKU; a changed part number forgets the product id.
pub async fn import<C: crate::store::BeginWrite>(db: &C, rows: &[MappingRow]) -> Result<ImportCounts, DbErr> {
    let txn = crate::store::begin_write(db).await?;
    let b = txn.get_database_backend();
    let now = now_ms();
    let mut counts = ImportCounts::default();
    for r in rows {
        let pn = r.part_number.as_str();
        let before = Mappings::find_by_id(r.sku.clone()).one(&txn).await?;
        let moved = txn
            .execute(stmt(b, "DELETE FROM product_mappings WHERE part_number = $1 AND sku <> $2", [pn.into(), r.sku.clone().into()]))
            .await?
            .rows_affected();
        counts.moved_from_other_sku += moved as usize;
        txn.execute(stmt(
            b,
            "INSERT INTO product_mappings (sku, part_number, verified, blocked, extra, imported_at, updated_at) \
             VALUES ($1, $2, FALSE, FALSE, $3, $4, $5) \
             ON CONFLICT (sku) DO UPDATE SET \
               product_id = CASE WHEN product_mappings.part_number = excluded.part_number THEN product_mappings.product_id ELSE NULL END, \
               traded_code = CASE WHEN product_mappings.part_number = excluded.part_number THEN product_mappings.traded_code ELSE NULL END, \
               verified = CASE WHEN product_mappings.part_number = excluded.part_number THEN product_mappings.verified ELSE FALSE END, \
               blocked = CASE WHEN product_mappings.part_number = excluded.part_number THEN product_mappings.blocked ELSE FALSE END, \
               verified_at = CASE WHEN product_mappings.part_number = excluded.part_number THEN product_mappings.verified_at ELSE NULL END, \
               part_number = excluded.part_number, extra = excluded.extra, imported_at = excluded.imported_at, \
               updated_at = excluded.updated_at",
            [r.sku.clone().into(), pn.into(), r.extra.as_ref().map(|e| e.to_string()).into(), now.into(), now.into()],
        ))
        .await?;
        let new_product = match &before {
            None => {
                counts.added += 1;
                true
            }
            Some(b) if b.part_number != pn => {
                counts.part_number_changed += 1;
                true
            }
            Some(_) => {
                counts.unchanged += 1;
                false
            }
        };
        if new_product {
            // A product John Lewis has not had our value for: whatever we know must be sent.
            txn.execute(stmt(
                b,
                "UPDATE stock_state SET shown_value = NULL, drift_count = 0, \
                   pending = CASE WHEN computed_value IS NULL THEN FALSE ELSE TRUE END, updated_at = $1 WHERE sku = $2",
                [now.into(), r.sku.clone().into()],
            ))
            .await?;
        }
    }
    txn.commit().await?;
    Ok(counts)
}

pub async fn get<C: ConnectionTrait>(conn: &C, sku: &str) -> Result<Option<Mapping>, DbErr> {
    Mappings::find_by_id(sku.to_owned()).one(conn).await
}

pub async fn by_part_number<C: ConnectionTrait>(conn: &C, part_number: &str) -> Result<Option<Mapping>, DbErr> {
    Mappings::find().filter(product_mapping::Column::PartNumber.eq(part_number)).one(conn).await
}

/// The mappings of these part numbers (one query; unknown part numbers are left out).
pub async fn by_part_numbers<C: ConnectionTrait>(conn: &C, part_numbers: &[&str]) -> Result<Vec<Mapping>, DbErr> {
    if part_numbers.is_empty() {
        return Ok(Vec::new());
    }
    Mappings::find().filter(product_mapping::Column::PartNumber.is_in(part_numbers.iter().copied())).all(conn).await
}

/// Which of these SKUs have a John Lewis part number (one query per 500).
pub async fn mapped_skus<'a, C: ConnectionTrait>(
    conn: &C,
    skus: impl Iterator<Item = &'a str>,
) -> Result<std::collections::HashSet<String>, DbErr> {
    let mut skus: Vec<&str> = skus.collect();
    skus.sort_unstable();
    skus.dedup();
    let mut out = std::collections::HashSet::with_capacity(skus.len());
    for chunk in skus.chunks(500) {
        let found: Vec<String> = Mappings::find()
            .select_only()
            .column(product_mapping::Column::Sku)
            .filter(product_mapping::Column::Sku.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(found);
    }
    Ok(out)
}

/// Every mapping, by SKU.
pub async fn all<C: ConnectionTrait>(conn: &C) -> Result<Vec<Mapping>, DbErr> {
    Mappings::find().order_by_asc(product_mapping::Column::Sku).all(conn).await
}

/// Up to `limit` mappings with a SKU after `after` (all when `None`), by SKU: walks the whole
/// mapping a page at a time (keyset paging), whatever is added or removed meanwhile.
pub async fn page_after<C: ConnectionTrait>(conn: &C, after: Option<&str>, limit: u64) -> Result<Vec<Mapping>, DbErr> {
    let mut q = Mappings::find();
    if let Some(a) = after {
        q = q.filter(product_mapping::Column::Sku.gt(a));
    }
    q.order_by_asc(product_mapping::Column::Sku).limit(limit).all(conn).await
}

/// Records what the products API said about a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub product_id: Option<String>,
    pub traded_code: Option<String>,
    pub verified: bool,
    /// Stop pushing to this mapping (no such product, or another SKU's product).
    pub blocked: bool,
    pub error: Option<String>,
}

pub async fn set_verification<C: ConnectionTrait>(conn: &C, sku: &str, v: &Verification) -> Result<(), DbErr> {
    let now = now_ms();
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE product_mappings SET product_id = COALESCE($1, product_id), traded_code = $2, verified = $3, \
           blocked = $4, verified_at = $5, verify_error = $6, updated_at = $7 WHERE sku = $8",
        [
            v.product_id.clone().into(),
            v.traded_code.clone().into(),
            v.verified.into(),
            v.blocked.into(),
            now.into(),
            v.error.clone().into(),
            now.into(),
            sku.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Remembers The Edge's product id for a SKU (found when first pushing).
pub async fn set_product_id<C: ConnectionTrait>(conn: &C, sku: &str, product_id: &str) -> Result<(), DbErr> {
    conn.execute(stmt(
        conn.get_database_backend(),
        "UPDATE product_mappings SET product_id = $1, updated_at = $2 WHERE sku = $3",
        [product_id.into(), now_ms().into(), sku.into()],
    ))
    .await?;
    Ok(())
}
