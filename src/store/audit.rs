//! The audit log: every mutating operator action, who, what, when, and the result.
use super::entities::audit_log;
use super::now_ms;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    actor: &str,
    action: &str,
    args: &serde_json::Value,
    result: &str,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        args: Set(args.to_string()),
        result: Set(result.to_owned()),
        at: Set(now_ms()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
