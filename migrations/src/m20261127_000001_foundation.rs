//! Foundation tables: webhook inbox, jobs and their attempts, exceptions, sync cursors, audit log.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookInbox {
    Table,
    Id,
    EventType,
    WebhookTimestamp,
    EventTimestampMs,
    Body,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    DedupeKey,
    State,
    Priority,
    Attempts,
    MaxAttempts,
    RunAt,
    LeaseUntil,
    LeaseToken,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum JobAttempts {
    Table,
    Id,
    JobId,
    Attempt,
    Worker,
    StartedAt,
    FinishedAt,
    Outcome,
    Error,
}

#[derive(DeriveIden)]
enum Exceptions {
    Table,
    Id,
    Kind,
    Entity,
    Status,
    FirstSeen,
    LastSeen,
    Count,
    LastError,
    Detail,
    JobId,
    Note,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum SyncCursors {
    Table,
    Name,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Actor,
    Action,
    Args,
    Result,
    At,
}

fn pk_id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().auto_increment().primary_key().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebhookInbox::Table)
                .col(ColumnDef::new(WebhookInbox::Id).string().not_null().primary_key())
                .col(ColumnDef::new(WebhookInbox::EventType).string().not_null())
                .col(ColumnDef::new(WebhookInbox::WebhookTimestamp).big_integer().not_null())
                .col(ColumnDef::new(WebhookInbox::EventTimestampMs).big_integer())
                .col(ColumnDef::new(WebhookInbox::Body).text().not_null())
                .col(ColumnDef::new(WebhookInbox::ReceivedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(pk_id(Jobs::Id))
                .col(ColumnDef::new(Jobs::Kind).string().not_null())
                .col(ColumnDef::new(Jobs::Payload).text().not_null())
                .col(ColumnDef::new(Jobs::DedupeKey).string().unique_key())
                .col(ColumnDef::new(Jobs::State).string().not_null())
                .col(ColumnDef::new(Jobs::Priority).integer().not_null().default(0))
                .col(ColumnDef::new(Jobs::Attempts).integer().not_null().default(0))
                .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                .col(ColumnDef::new(Jobs::RunAt).big_integer().not_null())
                .col(ColumnDef::new(Jobs::LeaseUntil).big_integer())
                .col(ColumnDef::new(Jobs::LeaseToken).string())
                .col(ColumnDef::new(Jobs::LastError).text())
                .col(ColumnDef::new(Jobs::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Jobs::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("jobs_state_run_at").table(Jobs::Table).col(Jobs::State).col(Jobs::RunAt).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobAttempts::Table)
                .col(pk_id(JobAttempts::Id))
                .col(ColumnDef::new(JobAttempts::JobId).big_integer().not_null())
                .col(ColumnDef::new(JobAttempts::Attempt).integer().not_null())
                .col(ColumnDef::new(JobAttempts::Worker).string().not_null())
                .col(ColumnDef::new(JobAttempts::StartedAt).big_integer().not_null())
                .col(ColumnDef::new(JobAttempts::FinishedAt).big_integer())
                .col(ColumnDef::new(JobAttempts::Outcome).string().not_null())
                .col(ColumnDef::new(JobAttempts::Error).text())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("job_attempts_job")
                .table(JobAttempts::Table)
                .col(JobAttempts::JobId)
                .col(JobAttempts::Attempt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Exceptions::Table)
                .col(pk_id(Exceptions::Id))
                .col(ColumnDef::new(Exceptions::Kind).string().not_null())
                .col(ColumnDef::new(Exceptions::Entity).string().not_null())
                .col(ColumnDef::new(Exceptions::Status).string().not_null())
                .col(ColumnDef::new(Exceptions::FirstSeen).big_integer().not_null())
                .col(ColumnDef::new(Exceptions::LastSeen).big_integer().not_null())
                .col(ColumnDef::new(Exceptions::Count).integer().not_null().default(1))
                .col(ColumnDef::new(Exceptions::LastError).text().not_null())
                .col(ColumnDef::new(Exceptions::Detail).text())
                .col(ColumnDef::new(Exceptions::JobId).big_integer())
                .col(ColumnDef::new(Exceptions::Note).text())
                .col(ColumnDef::new(Exceptions::ResolvedAt).big_integer())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("exceptions_kind_entity")
                .table(Exceptions::Table)
                .col(Exceptions::Kind)
                .col(Exceptions::Entity)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("exceptions_status").table(Exceptions::Table).col(Exceptions::Status).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SyncCursors::Table)
                .col(ColumnDef::new(SyncCursors::Name).string().not_null().primary_key())
                .col(ColumnDef::new(SyncCursors::Value).text().not_null())
                .col(ColumnDef::new(SyncCursors::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(pk_id(AuditLog::Id))
                .col(ColumnDef::new(AuditLog::Actor).string().not_null())
                .col(ColumnDef::new(AuditLog::Action).string().not_null())
                .col(ColumnDef::new(AuditLog::Args).text().not_null())
                .col(ColumnDef::new(AuditLog::Result).string().not_null())
                .col(ColumnDef::new(AuditLog::At).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            WebhookInbox::Table.into_iden(),
            Jobs::Table.into_iden(),
            JobAttempts::Table.into_iden(),
            Exceptions::Table.into_iden(),
            SyncCursors::Table.into_iden(),
            AuditLog::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
