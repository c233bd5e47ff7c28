//! Environment overrides. The names of DESIGN §3.3 map to their keys; any other key can be
//! set as `JLBRIDGE_<SECTION>__<KEY>` (e.g. `JLBRIDGE_JOBS__WORKERS=8`).
use figment::providers::Serialized;
use figment::value::Value;
use figment::Figment;

const PREFIX: &str = "JLBRIDGE_";

/// Named variables and the key each one sets.
pub const NAMED: &[(&str, &str)] = &[
    ("JLBRIDGE_DATABASE_URL", "database.url"),
    ("JLBRIDGE_HTTP_LISTEN", "http.listen"),
    ("JLBRIDGE_GRPC_LISTEN", "grpc.listen"),
    ("JLBRIDGE_WEBHOOK_SECRETS", "webhooks.secrets"),
    ("JLBRIDGE_GRPC_TOKENS", "grpc.tokens"),
    ("JLBRIDGE_MAGENTO_BASE_URL", "magento.base_url"),
    ("JLBRIDGE_MAGENTO_TOKEN", "magento.token"),
    ("JLBRIDGE_MAGENTO_STORE", "magento.store"),
    ("JLBRIDGE_MARKETPLACE", "marketplace.kind"),
    ("JLBRIDGE_EDGE_BASE_URL", "edge.base_url"),
    ("JLBRIDGE_EDGE_USERNAME", "edge.username"),
    ("JLBRIDGE_EDGE_PASSWORD", "edge.password"),
    ("JLBRIDGE_EDGE_RATE_LIMIT", "edge.rate_limit"),
    ("JLBRIDGE_SFTP_URL", "sftp.url"),
    ("JLBRIDGE_SFTP_PASSWORD", "sftp.password"),
    ("JLBRIDGE_SFTP_KEY_FILE", "sftp.key_file"),
    ("JLBRIDGE_SFTP_KNOWN_HOST", "sftp.known_host"),
    ("JLBRIDGE_ALERT_WEBHOOK_URL", "alerts.webhook_url"),
    ("JLBRIDGE_CARRIER_MAP", "carriers.map"),
];

/// The environment variable that sets `key`, for error messages.
pub fn var_for(key: &str) -> String {
    NAMED
        .iter()
        .find(|(_, k)| *k == key)
        .map(|(v, _)| (*v).to_owned())
        .unwrap_or_else(|| format!("{PREFIX}{}", key.replace('.', "__").to_ascii_uppercase()))
}

fn key_for(var: &str) -> Option<String> {
    if let Some((_, key)) = NAMED.iter().find(|(v, _)| *v == var) {
        return Some((*key).to_owned());
    }
    let rest = var.strip_prefix(PREFIX)?;
    rest.contains("__").then(|| rest.to_ascii_lowercase().replace("__", "."))
}

/// Adds every recognised variable to `fig`; unrelated `JLBRIDGE_*` variables are ignored.
pub fn merge(mut fig: Figment, vars: impl IntoIterator<Item = (String, String)>) -> Figment {
    let mut vars: Vec<(String, String)> = vars.into_iter().filter(|(k, _)| k.starts_with(PREFIX)).collect();
    vars.sort();
    for (var, raw) in vars {
        if let Some(key) = key_for(&var) {
            let value: Value = raw.parse().expect("figment value parsing is infallible");
            fig = fig.merge(Serialized::global(&key, value));
        }
    }
    fig
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_both_ways() {
        assert_eq!(key_for("JLBRIDGE_EDGE_BASE_URL").as_deref(), Some("edge.base_url"));
        assert_eq!(key_for("JLBRIDGE_JOBS__LEASE_SECS").as_deref(), Some("jobs.lease_secs"));
        assert_eq!(key_for("JLBRIDGE_TEST_PG"), None);
        assert_eq!(var_for("edge.base_url"), "JLBRIDGE_EDGE_BASE_URL");
        assert_eq!(var_for("jobs.workers"), "JLBRIDGE_JOBS__WORKERS");
    }
}
