//! Mapping a John Lewis marketplace order to the Magento order entity that
//! `POST /V1/orders` creates. Pure: the SKU lookup is passed in.
//!
//! Decisions (see also `magento::orders`):
//! * `increment_id` = `JL-` + the John Lewis `order_reference` (deterministic, so Magento's
//!   per-store unique key on `increment_id` refuses a second copy); at most 50 characters.
//! * `ext_order_id` = the `order_reference` itself (what people see; Magento keeps 32
//!   characters). The Edge's numeric order id is never sent to Magento.
//! * Each item's `ext_order_item_id` = the marketplace `line_ref`.
//! * Prices: UK consumer prices include VAT. A line's gross (VAT-inclusive) row total is its
//!   `total`, else `subtotal + tax`, else `unit_price × quantity`. The VAT is the line's
//!   `tax` when sent, else worked out of the gross at the line's `tax_rate` (default 20 %).
//!   Net = gross − VAT. A `tax_rate` of 1 or less is read as a fraction (0.2 = 20 %).
//! * No shipping charge (John Lewis charges none); payment method and shipping description
//!   say the order came from John Lewis. Lines already cancelled are left out.
use super::address::{check_address, CheckedAddress, MappingProblem, ProblemCategory};
use super::money::Currency;
use super::order::{MarketplaceOrder, OrderLine, OrderStatus, PartNumber};
use rust_decimal::{Decimal, RoundingStrategy};

pub const INCREMENT_ID_PREFIX: &str = "JL-";
pub const MAX_EXT_ORDER_ID: usize = 32;
pub const MAX_INCREMENT_ID: usize = 50;
/// The Magento module's payment method for orders jlbridge creates.
pub const PAYMENT_METHOD: &str = "jlbridge_marketplace";

/// The deterministic Magento increment id of a John Lewis order.
pub fn increment_id_for(reference: &str) -> String {
    format!("{INCREMENT_ID_PREFIX}{}", reference.trim())
}

/// Store-level settings for the mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingOptions {
    pub store_id: u32,
    /// Offline payment method code: `jlbridge_marketplace`, registered by the Magento module
    /// (`clients/magento2`), which also places the MSI reservation `POST /V1/orders` skips.
    pub payment_method: String,
    /// `<carrier>_<method>` written on the order (`flatrate_flatrate` exists in every store;
    /// no charge is written, the description says John Lewis).
    pub shipping_method: String,
    pub shipping_description: String,
    /// John Lewis hides customer emails; Magento needs one.
    pub placeholder_email: String,
    /// Used when the marketplace sent no phone; `None` makes a phone required.
    pub phone_fallback: Option<String>,
    /// VAT rate (percent) when a line carries neither `tax` nor `tax_rate`.
    pub default_tax_percent: Decimal,
    pub state: String,
    pub status: String,
}

impl Default for MappingOptions {
    fn default() -> Self {
        MappingOptions {
            store_id: 1,
            payment_method: PAYMENT_METHOD.into(),
            shipping_method: "flatrate_flatrate".into(),
            shipping_description: "John Lewis Marketplace".into(),
            placeholder_email: "johnlewis-marketplace@example.invalid".into(),
            phone_fallback: None,
            default_tax_percent: Decimal::from(20),
            state: "processing".into(),
            status: "processing".into(),
        }
    }
}

/// One Magento order item, amounts in the order currency (base = order, rate 1).
#[derive(Debug, Clone, PartialEq)]
pub struct MagentoOrderItem {
    pub sku: String,
    pub name: String,
    pub qty: u32,
    pub ext_order_item_id: String,
    pub price: Decimal,
    pub price_incl_tax: Decimal,
    pub row_total: Decimal,
    pub row_total_incl_tax: Decimal,
    pub tax_amount: Decimal,
    pub tax_percent: Decimal,
}

/// Everything `POST /V1/orders` needs; `magento::wire` turns it into the request body.
/// `Debug` leaves out the customer's email and address.
#[derive(Clone, PartialEq)]
pub struct MagentoOrderDraft {
    pub increment_id: String,
    pub ext_order_id: String,
    pub store_id: u32,
    pub currency: Currency,
    pub customer_email: String,
    pub address: CheckedAddress,
    pub items: Vec<MagentoOrderItem>,
    pub subtotal: Decimal,
    pub subtotal_incl_tax: Decimal,
    pub tax_amount: Decimal,
    pub grand_total: Decimal,
    pub total_qty: u32,
    pub state: String,
    pub status: String,
    pub payment_method: String,
    /// `additional_information` on the payment: where the order came from.
    pub payment_note: Vec<String>,
    pub shipping_method: String,
    pub shipping_description: String,
}

impl std::fmt::Debug for MagentoOrderDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MagentoOrderDraft")
            .field("increment_id", &self.increment_id)
            .field("ext_order_id", &self.ext_order_id)
            .field("store_id", &self.store_id)
            .field("items", &self.items)
            .field("grand_total", &self.grand_total)
            .field("currency", &self.currency)
            .finish_non_exhaustive()
    }
}

fn pennies(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn line_problem(category: ProblemCategory, line: &OrderLine, code: &'static str, msg: impl Into<String>) -> MappingProblem {
    MappingProblem::new(category, format!("lines[{}]", line.line_ref), code, msg)
}

fn map_line(
    order: &MarketplaceOrder,
    line: &OrderLine,
    sku: Option<String>,
    opts: &MappingOptions,
    problems: &mut Vec<MappingProblem>,
) -> Option<MagentoOrderItem> {
    let before = problems.len();
    if sku.is_none() {
        problems.push(line_problem(
            ProblemCategory::Sku,
            line,
            "part_number_unmapped",
            format!("part number {} has no Magento SKU in the mapping", line.part_number),
        ));
    }
    if line.quantity == 0 {
        problems.push(line_problem(ProblemCategory::Order, line, "quantity_zero", "the line quantity is 0"));
    }
    let money = [&line.unit_price, &line.subtotal, &line.tax, &line.total];
    if money.iter().flat_map(|m| m.as_ref()).any(|m| m.currency != order.currency) {
        problems.push(line_problem(ProblemCategory::Price, line, "currency_mismatch", "a line amount is not in the order currency"));
    }
    let qty = Decimal::from(line.quantity.max(1));
    let gross = match (&line.total, &line.subtotal, &line.tax, &line.unit_price) {
        (Some(t), ..) => Some(t.amount),
        (None, Some(s), Some(t), _) => Some(s.amount + t.amount),
        (None, _, _, Some(u)) => Some(u.amount * qty),
        _ => None,
    };
    let Some(gross) = gross.map(pennies) else {
        problems.push(line_problem(ProblemCategory::Price, line, "price_missing", "the line has no price"));
        return None;
    };
    if gross < Decimal::ZERO {
        problems.push(line_problem(ProblemCategory::Price, line, "price_negative", "the line price is negative"));
    }
    let percent = match line.tax_rate {
        Some(r) if r <= Decimal::ONE => r * Decimal::from(100),
        Some(r) => r,
        None => opts.default_tax_percent,
    }
    .normalize();
    let tax = match &line.tax {
        Some(t) => pennies(t.amount),
        None => pennies(gross - gross / (Decimal::ONE + percent / Decimal::from(100))),
    };
    if problems.len() > before {
        return None;
    }
    let net = gross - tax;
    Some(MagentoOrderItem {
        sku: sku.expect("checked above"),
        name: line.name.clone().or_else(|| line.description.clone()).unwrap_or_else(|| line.part_number.to_string()),
        qty: line.quantity,
        ext_order_item_id: line.line_ref.clone(),
        price: pennies(net / qty),
        price_incl_tax: pennies(gross / qty),
        row_total: net,
        row_total_incl_tax: gross,
        tax_amount: tax,
        tax_percent: percent,
    })
}

/// Maps a marketplace order; on failure, every problem found is returned.
pub fn map_order(
    order: &MarketplaceOrder,
    sku_for: &dyn Fn(&PartNumber) -> Option<String>,
    opts: &MappingOptions,
) -> Result<MagentoOrderDraft, Vec<MappingProblem>> {
    let mut problems = Vec::new();
    let reference = order.reference.0.trim();
    let increment_id = increment_id_for(reference);
    let ref_ok = !reference.is_empty()
        && reference.len() <= MAX_EXT_ORDER_ID
        && increment_id.len() <= MAX_INCREMENT_ID
        && reference.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
    if !ref_ok {
        problems.push(MappingProblem::new(
            ProblemCategory::Order,
            "reference",
            "order_reference_unusable",
            format!("the order reference must be 1 to {MAX_EXT_ORDER_ID} characters of letters, digits, - _ . /"),
        ));
    }
    let address = check_address(&order.shipping_address, "shipping_address", opts.phone_fallback.as_deref())
        .map_err(|p| problems.extend(p))
        .ok();
    let live: Vec<&OrderLine> =
        order.lines.iter().filter(|l| !matches!(l.status, OrderStatus::Cancel | OrderStatus::CancelAck)).collect();
    if live.is_empty() {
        problems.push(MappingProblem::new(ProblemCategory::Order, "lines", "no_lines", "the order has no line to fulfil"));
    }
    let items: Vec<MagentoOrderItem> =
        live.iter().filter_map(|l| map_line(order, l, sku_for(&l.part_number), opts, &mut problems)).collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let sum = |f: fn(&MagentoOrderItem) -> Decimal| items.iter().map(f).sum::<Decimal>();
    let email = order
        .shipping_address
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| e.contains('@') && e.contains('.') && !e.contains(char::is_whitespace))
        .unwrap_or(&opts.placeholder_email)
        .to_owned();
    Ok(MagentoOrderDraft {
        increment_id,
        ext_order_id: reference.to_owned(),
        store_id: opts.store_id,
        currency: order.currency,
        customer_email: email,
        address: address.expect("no problems means the address checked out"),
        subtotal: sum(|i| i.row_total),
        subtotal_incl_tax: sum(|i| i.row_total_incl_tax),
        tax_amount: sum(|i| i.tax_amount),
        grand_total: sum(|i| i.row_total_incl_tax),
        total_qty: items.iter().map(|i| i.qty).sum(),
        items,
        state: opts.state.clone(),
        status: opts.status.clone(),
        payment_method: opts.payment_method.clone(),
        payment_note: vec!["John Lewis Marketplace".into(), format!("order {reference}")],
        shipping_method: opts.shipping_method.clone(),
        shipping_description: match &order.delivery_service_code {
            Some(code) if !code.trim().is_empty() => format!("{} - {}", opts.shipping_description, code.trim()),
            _ => opts.shipping_description.clone(),
        },
    })
}

#[cfg(test)]
#[path = "magento_order_tests.rs"]
mod tests;
