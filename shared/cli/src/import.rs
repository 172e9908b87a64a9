//! `oms import`: CSV snapshot import (docs/runtime.md) with a progress bar on a terminal, a
//! row-level error report, and exit code 0 only when every row was imported.

use oms_clock::Clock as _;
use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use oms_domain::ids::TenantId;
use oms_sync::Kind;
use oms_webhooks::{import_csv, write_error_report_csv, ImportOptions};

use crate::stores::StoreArgs;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Print the CSV header and an example row for KIND, then exit.
    #[arg(long, value_name = "KIND", conflicts_with_all = ["tenant", "kind", "file"])]
    pub template: Option<String>,
    #[arg(long, required_unless_present = "template")]
    pub tenant: Option<String>,
    /// vendor-products, vendor-details, vendor-coupons, vendor-offers, vendor-shipping-options,
    /// customer-details or customer-addresses.
    #[arg(long, required_unless_present = "template")]
    pub kind: Option<String>,
    #[arg(required_unless_present = "template")]
    pub file: Option<PathBuf>,
    /// Validate every row, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also write the row errors to this CSV file.
    #[arg(long)]
    pub errors_csv: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

fn csv_kind(raw: &str) -> Result<Kind> {
    let kind = Kind::from_route(raw).with_context(|| format!("unknown kind '{raw}'"))?;
    if !kind.has_csv_template() {
        bail!(
            "kind '{raw}' has no CSV import (use one of: {})",
            Kind::CSV
                .iter()
                .map(Kind::route)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(kind)
}

pub async fn run(args: ImportArgs) -> Result<ExitCode> {
    if let Some(kind) = &args.template {
        let kind = csv_kind(kind)?;
        let (header, example) = oms_sync::csv::template(kind).context("no template")?;
        println!("{header}");
        println!("{example}");
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(tenant), Some(kind), Some(file)) = (&args.tenant, &args.kind, &args.file) else {
        bail!("--tenant, --kind and FILE are required");
    };
    let tenant = TenantId::new(tenant)?;
    let kind = csv_kind(kind)?;
    let input = File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let total_bytes = input.metadata().map(|m| m.len()).unwrap_or(0);
    let clock = oms_clock::system();
    let store = args.store.open(clock.clone()).await?;

    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} [{bar:30}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let imported_at = clock.now();
    let version = u64::try_from(imported_at.timestamp_millis()).unwrap_or(0);
    let options = ImportOptions {
        dry_run: args.dry_run,
        default_version: version,
        imported_at,
        // The embedded store shares a commit among the writes in flight: more of them, fewer
        // fsyncs. DynamoDB keeps the rate a new on-demand table takes.
        rows_in_flight: if args.store.dynamodb_table.is_some() {
            oms_webhooks::IMPORT_CONCURRENCY
        } else {
            oms_webhooks::EMBEDDED_IMPORT_CONCURRENCY
        },
    };
    let mut progress = |p: oms_webhooks::ImportProgress| {
        if let Some(bar) = &bar {
            bar.set_position(p.bytes_read);
            bar.set_message(format!("{} rows, {} errors", p.rows, p.invalid));
        }
    };
    let report = import_csv(
        store.as_ref(),
        &tenant,
        kind,
        BufReader::new(input),
        options,
        &mut progress,
    )
    .await?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    for e in &report.errors {
        eprintln!(
            "line {}, column {}: {} {}",
            e.line,
            e.column.as_deref().unwrap_or("-"),
            e.code.as_str(),
            e.message
        );
    }
    if let Some(path) = &args.errors_csv {
        let out = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        write_error_report_csv(&report.errors, out)?;
    }
    println!(
        "{}{} rows: {} applied, {} stale (not newer), {} with errors",
        if args.dry_run { "dry run: " } else { "" },
        report.rows,
        report.applied,
        report.stale,
        report.invalid
    );
    if report.invalid > report.errors.len() as u64 {
        eprintln!(
            "(only the first {} row errors are listed)",
            report.errors.len()
        );
    }
    Ok(if report.invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
