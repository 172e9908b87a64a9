//! `oms`: the whole OMS on a laptop (docs/runtime.md).

mod import;
mod serve;
mod stores;
mod tenant;
mod token;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// mimalloc instead of the C library's allocator.
///
/// Why: under load a request's items, order and answer are allocated on one thread and often
/// freed on another (the store's writer thread frees what the runtime threads built, and tasks
/// move between runtime threads); glibc's allocator then takes the owning arena's lock and
/// consolidates chunks, about a sixth of the server's CPU in a profile of the 8-client load.
/// mimalloc frees such blocks without a shared lock (docs/benchmarks.md, "Fifth round").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "oms",
    version,
    about = "Multi-tenant Order Management System: local server and tools."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the whole OMS (GraphQL, GraphiQL, webhooks, health) on the embedded store or DynamoDB.
    Serve(serve::ServeArgs),
    /// Print a development JWT (HS256) for local use.
    Token(token::TokenArgs),
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Import snapshots from a CSV file, or print a CSV template.
    Import(import::ImportArgs),
}

// Parsed once per process: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum TenantCommand {
    /// Create or update a tenant's configuration (webhook secrets, legacy senders, events URL,
    /// hold window, draft lifetime, taxes, payment providers) from flags and/or a tenant file.
    /// Settings given replace the stored ones (flags over the file); the others are kept.
    Put(tenant::TenantPutArgs),
    /// Print a tenant's settings in the tenant-file format (secrets masked).
    Get(tenant::TenantGetArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result: Result<std::process::ExitCode> = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args)
                .await
                .map(|()| std::process::ExitCode::SUCCESS),
            Command::Token(args) => token::run(args).map(|()| std::process::ExitCode::SUCCESS),
            Command::Tenant {
                command: TenantCommand::Put(args),
            } => tenant::put(args)
                .await
                .map(|()| std::process::ExitCode::SUCCESS),
            Command::Tenant {
                command: TenantCommand::Get(args),
            } => tenant::get(args)
                .await
                .map(|()| std::process::ExitCode::SUCCESS),
            Command::Import(args) => import::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
