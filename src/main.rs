use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = jlbridge::cli::Cli::parse();
    match jlbridge::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
