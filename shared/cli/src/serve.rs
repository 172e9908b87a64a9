//! `oms serve`: the same handlers as the Lambdas, in one process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use oms_application::ports::{Clock, EventQueue};
use oms_auth::{AuthConfig, Authenticator};
use oms_domain::auth::Role;
use oms_graphql::SchemaOptions;
use oms_server::app::{compose_with_secrets, in_process_queue, Components};

use crate::stores::StoreArgs;
use crate::token::{dev_secret, issue};
use oms_server::demo;

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Seed the demo tenant and print ready-to-use tokens.
    #[arg(long)]
    pub demo: bool,
    /// Refuse GraphQL introspection (GraphiQL then has no schema docs).
    #[arg(long)]
    pub no_introspection: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub async fn run(args: ServeArgs) -> Result<()> {
    let settings = oms_runtime::Settings::from_env()?;
    oms_runtime::init_logs(&settings, oms_runtime::LogFormat::Human);
    // The one clock: the store's TTL view, the use cases, tokens and webhook windows.
    let clock: Arc<dyn Clock> = oms_runtime::system_clock();
    let opened = args
        .store
        .open_serving(clock.clone(), settings.cursor_key())
        .await?;
    let store = opened.store.clone();
    if args.demo {
        demo::seed(store.as_ref())
            .await
            .context("seeding the demo tenant")?;
    }

    let (auth_config, generated) = match AuthConfig::from_env()? {
        Some(config) => (config, false),
        None => {
            let secret = dev_secret(&args.store.data_dir, true)?.context("no dev secret")?;
            let mut config = AuthConfig::dev_hs256(secret.into_bytes());
            if let Ok(t) = std::env::var(oms_auth::ENV_DEFAULT_TENANT) {
                config = config.with_default_tenant(oms_domain::ids::TenantId::new(&t)?);
            }
            (config, true)
        }
    };
    let authenticator = Authenticator::new(auth_config.clone())?;
    let tokens = if args.demo && auth_config.is_dev() {
        Some(DemoTokens::issue(&auth_config)?)
    } else {
        None
    };

    // On the embedded store, nothing accepted is lost: the sync and events queues are
    // journalled in its file and its change stream feeds the outbox relay (docs/runtime.md).
    let (queue, _local): (Arc<dyn EventQueue>, _) = match opened.embedded.clone() {
        Some(file) => {
            let local = oms_runtime::local::start(
                file,
                store.clone(),
                clock.clone(),
                oms_runtime::local::events_queue_config(),
            )
            .await
            .map_err(|e| anyhow::anyhow!(e))
            .context("starting the durable queues")?;
            (Arc::new(local.sync.clone()), Some(local))
        }
        None => {
            tracing::warn!(
                "on a DynamoDB table, oms serve keeps its sync queue in memory and relays no \
                 outbound events (the table's stream and the relay function do that on AWS)"
            );
            (
                Arc::new(in_process_queue(store.clone(), clock.clone())),
                None,
            )
        }
    };
    let payments = oms_runtime::http::payments().context("payment providers")?;
    // PENDING orders whose hold lapsed are cancelled within seconds (docs/runtime.md §7).
    let _sweep = HoldSweep(oms_server::app::spawn_hold_sweep(
        oms_application::Oms::new(store.clone(), clock.clone(), payments.clone()),
        oms_server::app::HOLD_SWEEP_EVERY,
    ));
    // Tenant secrets stored as `ssm:` references are resolved through SSM (AWS loaded on the
    // first one).
    let secrets = oms_runtime::secrets::standard_resolver(clock.clone());
    let app = compose_with_secrets(
        Components {
            store: store.clone(),
            clock,
            payments,
            queue,
            authenticator,
            options: SchemaOptions {
                introspection: !args.no_introspection,
                ..SchemaOptions::default()
            },
            // Demo only: GraphiQL opens with the demo customer's token already in its headers.
            graphiql_token: tokens.as_ref().map(|t| t.customer.clone()),
        },
        secrets,
    );

    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    let local = listener.local_addr()?;
    print_banner(&args, local, tokens.as_ref(), generated);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
        .context("serving")?;
    println!("oms stopped");
    Ok(())
}

/// Stops the sweep when `oms serve` returns.
struct HoldSweep(tokio::task::JoinHandle<()>);

impl Drop for HoldSweep {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}

/// Tokens of the demo customer and the demo vendor's user, valid 24 h.
struct DemoTokens {
    customer: String,
    vendor: String,
}

impl DemoTokens {
    fn issue(config: &AuthConfig) -> Result<Self> {
        let day = Duration::from_secs(86_400);
        Ok(DemoTokens {
            customer: issue(
                config,
                demo::TENANT,
                demo::CUSTOMER,
                &[Role::Customer],
                None,
                day,
            )?,
            vendor: issue(
                config,
                demo::TENANT,
                demo::VENDOR_USER,
                &[Role::Vendor],
                Some(demo::VENDOR),
                day,
            )?,
        })
    }
}

fn print_banner(args: &ServeArgs, addr: SocketAddr, tokens: Option<&DemoTokens>, generated: bool) {
    println!("oms serving on http://{addr} ({})", args.store.describe());
    println!("  GraphQL   POST http://{addr}/graphql   (GraphiQL: open it in a browser)");
    println!("  webhooks  POST http://{addr}/webhooks/{{tenant}}/{{kind}}");
    println!("  health    GET  http://{addr}/healthz");
    if generated {
        println!(
            "  auth      development HS256 tokens (secret kept in {})",
            args.store.data_dir.join("dev-jwt-secret").display()
        );
    }
    if let Some(tokens) = tokens {
        println!();
        println!(
            "demo tenant '{}' is ready (vendor {}, coupon WELCOME10). GraphiQL opens as customer {}. Tokens valid 24 h:",
            demo::TENANT,
            demo::VENDOR,
            demo::CUSTOMER
        );
        println!("export CUSTOMER_TOKEN={}", tokens.customer);
        println!("export VENDOR_TOKEN={}", tokens.vendor);
        println!("export OMS=http://{addr}/graphql");
        println!(
            "(webhook secret of tenant '{}': {})",
            demo::TENANT,
            demo::WEBHOOK_SECRET
        );
    }
}
