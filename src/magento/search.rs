//! `searchCriteria` query parameters (camelCase names, as the published schema spells them)
//! and the paging rule: stop on `total_count`, because Magento answers a page past the end
//! with the last page again.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: String,
    pub value: String,
    pub condition: String,
}

/// Filters inside a group are OR'd; groups are AND'd.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchCriteria {
    pub groups: Vec<Vec<Filter>>,
    pub sort: Vec<(String, bool)>,
    pub page_size: Option<u32>,
    pub current_page: Option<u32>,
}

impl SearchCriteria {
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a group holding one filter (AND with the other groups).
    pub fn and(mut self, field: &str, condition: &str, value: impl Into<String>) -> Self {
        self.groups.push(vec![Filter { field: field.into(), value: value.into(), condition: condition.into() }]);
        self
    }
    /// Adds a group of alternatives (OR inside the group).
    pub fn any_of(mut self, filters: Vec<Filter>) -> Self {
        self.groups.push(filters);
        self
    }
    pub fn sort_asc(mut self, field: &str) -> Self {
        self.sort.push((field.into(), true));
        self
    }
    pub fn page(mut self, size: u32, current: u32) -> Self {
        self.page_size = Some(size);
        self.current_page = Some(current);
        self
    }

    pub fn to_query(&self) -> Vec<(String, String)> {
        let mut q = Vec::new();
        for (g, group) in self.groups.iter().enumerate() {
            for (f, filter) in group.iter().enumerate() {
                let key = |name: &str| format!("searchCriteria[filterGroups][{g}][filters][{f}][{name}]");
                q.push((key("field"), filter.field.clone()));
                q.push((key("value"), filter.value.clone()));
                q.push((key("conditionType"), filter.condition.clone()));
            }
        }
        for (i, (field, asc)) in self.sort.iter().enumerate() {
            q.push((format!("searchCriteria[sortOrders][{i}][field]"), field.clone()));
            q.push((format!("searchCriteria[sortOrders][{i}][direction]"), if *asc { "ASC" } else { "DESC" }.into()));
        }
        if let Some(size) = self.page_size {
            q.push(("searchCriteria[pageSize]".into(), size.to_string()));
        }
        if let Some(page) = self.current_page {
            q.push(("searchCriteria[currentPage]".into(), page.to_string()));
        }
        q
    }
}

/// Whether another page must be read after `page` (1-based) of `page_size` rows, given the
/// `total_count` Magento reported and how many rows that page held.
pub fn has_more(page: u32, page_size: u32, rows_on_page: usize, total_count: u64) -> bool {
    rows_on_page > 0 && u64::from(page) * u64::from(page_size) < total_count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_schema_named_parameters() {
        let q = SearchCriteria::new().and("ext_order_id", "eq", "Y1").sort_asc("entity_id").page(50, 2).to_query();
        let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("searchCriteria[filterGroups][0][filters][0][field]", "ext_order_id"),
                ("searchCriteria[filterGroups][0][filters][0][value]", "Y1"),
                ("searchCriteria[filterGroups][0][filters][0][conditionType]", "eq"),
                ("searchCriteria[sortOrders][0][field]", "entity_id"),
                ("searchCriteria[sortOrders][0][direction]", "ASC"),
                ("searchCriteria[pageSize]", "50"),
                ("searchCriteria[currentPage]", "2"),
            ]
        );
    }

    #[test]
    fn paging_stops_on_total_count() {
        assert!(has_more(1, 2, 2, 5));
        assert!(has_more(2, 2, 2, 5));
        assert!(!has_more(3, 2, 1, 5), "3 pages of 2 cover 5");
        assert!(!has_more(2, 2, 2, 4));
        assert!(!has_more(1, 2, 0, 5), "an empty page ends it whatever the count says");
    }
}
