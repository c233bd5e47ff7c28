//! `jlbridge sandbox`: the simulated Edge and Magento, standalone, for trying a configuration.
use crate::sandbox::edge::{self, EdgeSandboxConfig};
use crate::sandbox::magento::MagentoSandbox;
use std::net::SocketAddr;

#[derive(clap::Args, Debug)]
pub struct SandboxArgs {
    /// Where the simulated Edge listens.
    #[arg(long, default_value = "127.0.0.1:8701")]
    pub edge_listen: SocketAddr,
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let config = EdgeSandboxConfig { listen: args.edge_listen, ..EdgeSandboxConfig::default() };
    let (user, password) = (config.username.clone(), config.password.clone());
    let edge = edge::start(config).await?;
    edge.seed_demo();
    let magento = MagentoSandbox::start().await?;
    println!("simulated Edge REST v4 on {}", edge.base_url());
    println!("simulated Magento REST on {}", magento.base_url());
    println!("point jlbridge at them with:");
    println!("  export JLBRIDGE_EDGE_BASE_URL={}", edge.base_url());
    println!("  export JLBRIDGE_EDGE_USERNAME={user}");
    println!("  export JLBRIDGE_EDGE_PASSWORD={password}");
    println!("  export JLBRIDGE_MAGENTO_BASE_URL={}", magento.base_url());
    println!("  export JLBRIDGE_MAGENTO_TOKEN={}", magento.token());
    println!("Ctrl-C stops them.");
    crate::app::shutdown_signal().await;
    Ok(())
}
