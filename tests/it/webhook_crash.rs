//! Durability: the real binary is killed with SIGKILL right after it answered 202 (while
//! other webhooks are in flight) and started again on the same SQLite file. Every accepted
//! event is in the inbox with its job, no event is stored without its job, and the jobs run
//! (the stock flow stores each observation).
use crate::support::*;
use crate::webhook_support::*;
use jlbridge::config::DatabaseConfig;
use jlbridge::domain::webhook_event::StockObservedPayload;
use jlbridge::store::entities::{job, webhook_inbox};
use jlbridge::store::{self, stock};
use sea_orm::EntityTrait;
use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};

fn serve(dir: &Path, http: &str) -> Child {
    Child(
        Command::new(env!("CARGO_BIN_EXE_jlbridge"))
            .arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("JLBRIDGE_DATABASE_URL", format!("sqlite://{}?mode=rwc", dir.join("crash.db").display()))
            .env("JLBRIDGE_HTTP_LISTEN", http)
            .env("JLBRIDGE_GRPC_LISTEN", free_addr())
            .env("JLBRIDGE_WEBHOOK_SECRETS", secret(KEY_A))
            // Jobs cut short by the kill are reclaimed after their lease.
            .env("JLBRIDGE_JOBS__LEASE_SECS", "5")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start jlbridge serve"),
    )
}

async fn wait_up(client: &reqwest::Client, http: &str) {
    let url = format!("http://{http}/healthz");
    assert!(eventually(60, || async { client.get(&url).send().await.is_ok_and(|r| r.status() == 200) }).await, "service up");
}

/// Records which webhook each stock job came from.
#[tokio::test]
async fn accepted_events_survive_sigkill_and_their_jobs_run_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let http = free_addr();
    let client = reqwest::Client::new();
    let url = format!("http://{http}/webhooks/magento");
    let mut child = serve(dir.path(), &http);
    wait_up(&client, &http).await;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..300 {
        let (client, url, tx) = (client.clone(), url.clone(), tx.clone());
        tokio::spawn(async move {
            let (id, ts, body) = (format!("crash_{i}"), now(), stock_event(&format!("SKU-{i}"), i));
            let sig = jlbridge::domain::webhook_signature::sign(KEY_A, &id, ts, body.as_bytes());
            let sent = client.post(url).header("content-type", "application/json").header("webhook-id", &id)
                .header("webhook-timestamp", ts.to_string()).header("webhook-signature", sig).body(body).send().await;
            let _ = tx.send((id, sent.map(|r| r.status().as_u16()).ok()));
        });
    }
    drop(tx);
    let mut accepted = HashSet::new();
    while let Some((id, status)) = rx.recv().await {
        if status == Some(202) {
            accepted.insert(id);
            if accepted.len() == 25 {
                child.0.kill().expect("SIGKILL"); // right after the 25th 202
                break;
            }
        }
    }
    let _ = child.0.wait();
    while let Some((id, status)) = rx.recv().await {
        if status == Some(202) {
            accepted.insert(id); // answered before the kill landed
        }
    }
    assert!(accepted.len() >= 25);

    let _restarted = serve(dir.path(), &http);
    wait_up(&client, &http).await;
    let cfg = DatabaseConfig { url: format!("sqlite://{}?mode=rwc", dir.path().join("crash.db").display()), max_connections: 2, migrate_on_start: false };
    let db = store::connect(&cfg).await.unwrap();
    let inbox: HashSet<String> = webhook_inbox::Entity::find().all(&db).await.unwrap().into_iter().map(|r| r.id).collect();
    let jobs = job::Entity::find().all(&db).await.unwrap();
    let job_ids: Vec<String> = jobs.iter().map(|j| serde_json::from_str::<StockObservedPayload>(&j.payload).unwrap().webhook_id).collect();
    let missing: Vec<_> = accepted.iter().filter(|id| !inbox.contains(*id)).collect();
    assert!(missing.is_empty(), "accepted but lost: {missing:?}");
    assert_eq!(job_ids.len(), inbox.len(), "one job per stored event, none without the other");
    assert_eq!(job_ids.iter().cloned().collect::<HashSet<_>>(), inbox, "each stored event has its own job");
    assert!(jobs.iter().all(|j| j.kind == "stock.observed"), "stock jobs only");
    println!("{} answered 202 before SIGKILL; {} stored in all (some in flight committed unanswered)", accepted.len(), inbox.len());

    // A retry from Magento of an accepted event is a duplicate after the restart.
    let id = accepted.iter().next().unwrap().clone();
    let i: i64 = id.trim_start_matches("crash_").parse().unwrap();
    let (ts, body) = (now(), stock_event(&format!("SKU-{i}"), i));
    let sig = jlbridge::domain::webhook_signature::sign(KEY_A, &id, ts, body.as_bytes());
    let req = client.post(&url).header("content-type", "application/json").header("webhook-id", &id)
        .header("webhook-timestamp", ts.to_string()).header("webhook-signature", sig).body(body);
    assert_eq!(answer(req).await.0, 200);

    // The restarted service's stock flow runs every job: each stored event's SKU holds its
    // observation.
    let done = eventually(60, || async {
        job::Entity::find().all(&db).await.unwrap().iter().all(|j| j.state == "done")
    })
    .await;
    assert!(done, "every stored event's job ran");
    for id in &inbox {
        let i: i64 = id.trim_start_matches("crash_").parse().unwrap();
        let st = stock::get(&db, &format!("SKU-{i}")).await.unwrap().expect("observation stored");
        assert_eq!(st.observed_qty.as_deref(), Some(i.to_string().as_str()));
    }
}
