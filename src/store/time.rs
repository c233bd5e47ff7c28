/// Now, as Unix milliseconds (the schema's time unit).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
