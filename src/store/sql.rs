//! Hand-written SQL shared by SQLite and PostgreSQL: write `$1, $2 …` (each once, in order);
//! SQLite gets `?` placeholders.
use sea_orm::{DbBackend, Statement, Value};

pub fn stmt<I: IntoIterator<Item = Value>>(backend: DbBackend, sql: &str, values: I) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => {
            let mut out = String::with_capacity(sql.len());
            let mut chars = sql.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                        chars.next();
                    }
                    out.push('?');
                } else {
                    out.push(c);
                }
            }
            out
        }
    };
    Statement::from_sql_and_values(backend, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_gets_question_marks() {
        let s = stmt(DbBackend::Sqlite, "SELECT $1, $2 FROM t WHERE a = $10", [1.into(), 2.into(), 3.into()]);
        assert_eq!(s.sql, "SELECT ?, ? FROM t WHERE a = ?");
        let s = stmt(DbBackend::Postgres, "SELECT $1", [1.into()]);
        assert_eq!(s.sql, "SELECT $1");
    }
}
