//! `jlbridge demo`: a compressed trading day on the sandboxes. The simulated Edge and Magento
//! start on loopback, the real service starts on a throw-away SQLite database pointed at them,
//! and a script plays the day: Magento sales and restocks (signed webhooks), John Lewis orders
//! (polled, acknowledged, injected), parcels shipping with several carriers, a customer
//! cancellation, and planted problems (an unmapped carrier, a SKU with a trailing space, a
//! John Lewis outage). It ends with a summary and stays up for exploring.
mod day;
mod john_lewis;
mod summary;
mod world;

use crate::app::App;
use crate::config::{Config, MarketplaceKind, StringList};
use std::path::PathBuf;
use std::time::Duration;

/// How the demo runs (from the command line).
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Length of the compressed day.
    pub day: Duration,
    /// Products in the catalogue.
    pub skus: usize,
    /// Leave as soon as the summary is printed.
    pub exit: bool,
    /// Where the database, mapping file and logs go (and the SFTP tree).
    pub dir: PathBuf,
    /// John Lewis over REST (`Edge`) or over SFTP files (`EdgeSftp`).
    pub marketplace: MarketplaceKind,
}

pub const CARRIER_MAP: &str = "Royal Mail*=royal-mail,dpd*=dpd,DPD*=dpd,Evri*=evri";

fn demo_secret() -> String {
    use base64::Engine;
    let key: [u8; 32] = rand::random();
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key))
}

fn config(opts: &DemoOptions, w: &world::World, secret: &str) -> Config {
    let mut c = Config::default();
    c.database.url = format!("sqlite://{}?mode=rwc", opts.dir.join("demo.db").display());
    c.http.listen = "127.0.0.1:0".into();
    c.grpc.listen = "127.0.0.1:0".into();
    c.grpc.tokens = StringList(vec!["read:demo-read".into(), "operate:demo-operate".into()]);
    c.webhooks.secrets = StringList(vec![secret.to_owned()]);
    crate::sandbox::point_magento(&mut c, &w.magento);
    w.jl.point(&mut c);
    c.carriers.map = StringList(CARRIER_MAP.split(',').map(str::to_owned).collect());
    c.orders.poll_interval_secs = 2;
    c.shipments.catch_up_interval_secs = 15;
    c.shipments.wait_retry_secs = 3;
    c.stock.reconcile_interval_secs = 0;
    c.jobs.retry_schedule_secs = vec![1, 2, 4, 8, 15, 30, 30, 30, 30, 30];
    c.log.level = "info".into();
    c
}

pub async fn run(opts: DemoOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&opts.dir)?;
    let over = if opts.marketplace == MarketplaceKind::EdgeSftp { "John Lewis over SFTP files" } else { "John Lewis over REST" };
    println!("jlbridge demo: a compressed trading day of {} s on the sandboxes ({over})", opts.day.as_secs());
    let w = world::build(opts.skus, &opts.dir, &opts.marketplace, world::edge_opening).await?;
    if let john_lewis::JohnLewis::Files(f) = &w.jl {
        println!("  SFTP server: {} user {} · host key {}", f.server.url("/live"), f.server.user(), f.server.fingerprint());
        println!("  folder tree: {}", f.edge.root().display());
    }
    let secret = demo_secret();
    let config = config(&opts, &w, &secret);
    let log_file = opts.dir.join("jlbridge.log");
    crate::telemetry::init_to_file(&config.log, &log_file)?;
    println!("  service logs: {}", log_file.display());
    let app = App::start(config).await?;
    let started = std::time::Instant::now();
    w.magento.set_webhook_target(&format!("http://{}/webhooks/magento", app.http_addr), &secret);
    let import =
        crate::cli::mapping::import_file(&app.state.db, &w.mapping_csv, app.state.connectors.marketplace.as_deref())
            .await?;
    println!(
        "  catalogue: {} SKUs in Magento and on John Lewis; mapping imported ({} rows, {} refused)",
        w.catalogue.len(),
        import.counts.added,
        import.refused.len()
    );
    app.state.stock.trigger_full_sync();
    let played = day::play(&app, &w, opts.day).await?;
    let report = summary::gather(&app, &w, &played, started.elapsed()).await?;
    report.print();
    println!();
    println!("explore it:");
    println!("  dashboard   http://{}/dashboard", app.http_addr);
    println!("  metrics     curl http://{}/metrics", app.http_addr);
    println!("  grpc        grpcurl -plaintext {} list", app.grpc_addr);
    println!(
        "  status      grpcurl -plaintext -H 'authorization: Bearer demo-read' {} jlbridge.v1.SyncService/GetSyncStatus",
        app.grpc_addr
    );
    println!(
        "  exceptions  grpcurl -plaintext -H 'authorization: Bearer demo-read' -d '{{\"status\":\"open\"}}' {} jlbridge.v1.ExceptionService/ListExceptions",
        app.grpc_addr
    );
    let stop = app.shutdown_token();
    if !opts.exit {
        println!("the service stays up until Ctrl-C");
        crate::app::shutdown_signal().await;
    }
    stop.cancel();
    app.wait().await;
    if report.lost_events > 0 || report.duplicate_orders > 0 {
        anyhow::bail!("the demo saw {} lost events and {} duplicate orders", report.lost_events, report.duplicate_orders);
    }
    Ok(())
}
