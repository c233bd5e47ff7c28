//! The command line: `serve`, `migrate`, `config check`, `demo`, `sandbox`, `mapping import`, `audit skus`,
//! `import sales-report`, `finance summary`.
pub mod audit;
mod demo;
pub mod import;
pub mod mapping;
mod sandbox;
pub mod webhook;

use crate::app::{shutdown_signal, App};
use crate::config::Config;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "jlbridge", version, about = "Keeps a Magento 2 store and John Lewis Marketplace in step")]
pub struct Cli {
    /// TOML configuration file; every key can also be set by environment (see README).
    #[arg(long, global = true, env = "JLBRIDGE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the service: webhooks, workers, schedulers, HTTP and gRPC listeners.
    Serve {
        /// Do not apply database migrations on start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Validate the configuration and print which flows are ready.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Run a self-contained demonstration on a throw-away SQLite database.
    Demo(demo::DemoArgs),
    /// Pre-go-live audits.
    Audit {
        #[command(subcommand)]
        action: audit::AuditAction,
    },
    /// The SKU ↔ John Lewis part number mapping.
    Mapping {
        #[command(subcommand)]
        action: mapping::MappingAction,
    },
    /// Import files: the weekly John Lewis sales report.
    Import {
        #[command(subcommand)]
        action: import::ImportAction,
    },
    /// Finance: the weekly settlement summary.
    Finance {
        #[command(subcommand)]
        action: import::FinanceAction,
    },
    /// Webhook tools: sign a test event as Magento would.
    Webhook {
        #[command(subcommand)]
        action: webhook::WebhookAction,
    },
    /// Run the simulated Edge and Magento APIs standalone.
    Sandbox(sandbox::SandboxArgs),
}

#[derive(Subcommand, Debug)]
pub enum ConfigAction {
    /// Check the configuration and list what each flow still needs.
    Check,
}

fn load(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    Config::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { no_migrate } => {
            let mut config = load(cli.config.as_deref())?;
            crate::telemetry::init(&config.log);
            if no_migrate {
                config.database.migrate_on_start = false;
            }
            let app = App::start(config).await?;
            let stop = app.shutdown_token();
            tokio::spawn(async move {
                shutdown_signal().await;
                tracing::info!("shutdown requested; finishing in-flight work");
                stop.cancel();
            });
            app.wait().await;
            Ok(())
        }
        Command::Migrate => {
            let config = load(cli.config.as_deref())?;
            crate::telemetry::init(&config.log);
            let db = crate::store::connect(&config.database).await?;
            crate::store::migrate(&db).await?;
            println!("migrations applied to {}", redact_url(&config.database.url));
            Ok(())
        }
        Command::Config { action: ConfigAction::Check } => {
            let config = load(cli.config.as_deref())?;
            println!("configuration is valid");
            let checks = [
                ("magento client", config.missing_for_magento()),
                ("marketplace adapter", config.missing_for_marketplace()),
                ("webhook receiver", config.missing_for_webhooks()),
            ];
            for (name, missing) in checks {
                if missing.is_empty() {
                    println!("  {name}: ready");
                } else {
                    for m in missing {
                        println!("  {name}: {m}");
                    }
                }
            }
            Ok(())
        }
        Command::Demo(args) => demo::run(args).await,
        Command::Webhook { action } => webhook::run(action),
        Command::Audit { action } => {
            let config = load(cli.config.as_deref())?;
            crate::telemetry::init(&config.log);
            audit::run(config, action).await
        }
        Command::Mapping { action } => {
            let config = load(cli.config.as_deref())?;
            crate::telemetry::init(&config.log);
            mapping::run(config, action).await
        }
        Command::Import { action } => {
            let config = load(cli.config.as_deref())?;
            crate::telemetry::init(&config.log);
            import::run_import(config, action).await
        }
        Command::Finance { action } => {
            let config = load(cli.config.as_deref())?;
            crate::telemetry::init(&config.log);
            import::run_finance(config, action).await
        }
        Command::Sandbox(args) => {
            crate::telemetry::init(&crate::config::LogConfig::default());
            sandbox::run(args).await
        }
    }
}

/// A database URL with any password removed, for messages.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
