//! Command line of the `cckm-sim` binary: parse flags, bind, print the listening line, serve.

use clap::Parser;
use std::io::Write;
use std::path::PathBuf;

/// Simulator of Thales CipherTrust Manager's CCKM SAP key API.
#[derive(Parser, Debug)]
#[command(name = "cckm-sim", version, about)]
struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Seed of the demo data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of demo keys.
    #[arg(long, default_value_t = 240)]
    keys: usize,
    /// Number of demo groups.
    #[arg(long, default_value_t = 8)]
    groups: usize,
    /// How long one job takes, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    job_ms: u64,
    /// State file keeping keys, jobs, refresh tokens and the signing secret across restarts.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Lifetime of issued JWTs, in seconds.
    #[arg(long, default_value_t = 300)]
    token_ttl: u64,
    /// Seconds a refresh token may stay unused before a refresh with it is refused (401).
    #[arg(long, default_value_t = 1800)]
    refresh_idle: u64,
    /// An administrator of the root domain (local_account) besides the demo users; "admin" replaces the demo admin.
    #[arg(long, default_value = "admin")]
    user: String,
    /// Password of --user.
    #[arg(long, default_value = "admin")]
    password: String,
    /// Directory of the built page, served with an SPA fallback to index.html.
    #[arg(long = "static")]
    static_dir: Option<PathBuf>,
    /// Enable the test-only /sim/ control API (stats, faults, revoke-tokens).
    #[arg(long)]
    control: bool,
    /// Answer cross-origin requests from loopback origins.
    #[arg(long)]
    cors: bool,
    #[command(flatten)]
    dialect: cckm_sim::dialect::DialectFlags,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    let cli = Cli::parse();
    let config = cckm_sim::Config {
        addr: cli.addr.clone(),
        seed: cli.seed,
        keys: cli.keys,
        groups: cli.groups,
        job_ms: cli.job_ms,
        state: cli.state,
        token_ttl: cli.token_ttl,
        refresh_idle: cli.refresh_idle,
        user: cli.user,
        password: cli.password,
        static_dir: cli.static_dir,
        control: cli.control,
        cors: cli.cors,
        dialect: cli.dialect.resolve(),
    };
    let listener = match tokio::net::TcpListener::bind(&cli.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cckm-sim: cannot listen on {}: {e}", cli.addr);
            return std::process::ExitCode::FAILURE;
        }
    };
    let server = match cckm_sim::start(config, listener).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cckm-sim: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "cckm-sim listening on http://{}", server.addr());
    let _ = out.flush();
    tokio::select! {
        r = server.wait() => match r {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("cckm-sim: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        _ = tokio::signal::ctrl_c() => std::process::ExitCode::SUCCESS,
    }
}
