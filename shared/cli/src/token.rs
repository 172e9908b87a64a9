//! `oms token` (development JWTs) and the duration syntax of the CLI.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use oms_auth::{AuthConfig, ENV_HS256_SECRET};
use oms_domain::auth::Role;
use oms_domain::ids::{CustomerId, TenantId, VendorId};

const SECRET_FILE: &str = "dev-jwt-secret";

#[derive(Args, Debug)]
pub struct TokenArgs {
    #[arg(long)]
    pub tenant: String,
    /// Subject (user id; also the customer id).
    #[arg(long)]
    pub sub: String,
    /// Comma-separated: customer, vendor.
    #[arg(long, value_delimiter = ',', required = true)]
    pub roles: Vec<String>,
    #[arg(long)]
    pub vendor_id: Option<String>,
    /// Lifetime, e.g. 30m, 1h, 7d.
    #[arg(long, default_value = "1h")]
    pub ttl: String,
    /// Where `oms serve` keeps its generated dev secret (used when OMS_JWT_HS256_SECRET is unset).
    #[arg(long, default_value = ".oms-data")]
    pub data_dir: PathBuf,
}

/// Parses `30s`, `15m`, `1h`, `7d`.
pub fn parse_ttl(raw: &str) -> Result<Duration> {
    parse_duration(raw, 30 * 86_400).context("ttl must be between 1s and 30d")
}

/// `90s`, `30m`, `2h`, `30d` (a bare number is seconds), between 1 s and `max_secs`.
pub fn parse_duration(raw: &str, max_secs: u64) -> Result<Duration> {
    let raw = raw.trim();
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = number
        .parse()
        .with_context(|| format!("bad duration '{raw}'"))?;
    let unit_secs: u64 = match unit {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("bad duration unit in '{raw}' (use s, m, h or d)"),
    };
    let secs = n.saturating_mul(unit_secs);
    if secs == 0 || secs > max_secs {
        bail!("'{raw}' must be between 1s and {}d", max_secs / 86_400);
    }
    Ok(Duration::from_secs(secs))
}

/// The dev HS256 secret: `OMS_JWT_HS256_SECRET`, else the one `oms serve` generated in the data dir.
pub fn dev_secret(data_dir: &Path, create: bool) -> Result<Option<String>> {
    if let Ok(s) = std::env::var(ENV_HS256_SECRET) {
        if !s.is_empty() {
            return Ok(Some(s));
        }
    }
    let path = data_dir.join(SECRET_FILE);
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_string();
        if !s.is_empty() {
            return Ok(Some(s));
        }
    }
    if !create {
        return Ok(None);
    }
    std::fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading random bytes for the dev secret")?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(Some(secret))
}

pub fn parse_roles(raw: &[String]) -> Result<Vec<Role>> {
    raw.iter()
        .map(|r| Role::parse(r).with_context(|| format!("unknown role '{r}' (customer or vendor)")))
        .collect()
}

/// A dev token accepted by the `oms serve` that uses `config`.
pub fn issue(
    config: &AuthConfig,
    tenant: &str,
    sub: &str,
    roles: &[Role],
    vendor: Option<&str>,
    ttl: Duration,
) -> Result<String> {
    let tenant = TenantId::new(tenant)?;
    let sub = CustomerId::new(sub)?;
    let vendor = vendor.map(VendorId::new).transpose()?;
    Ok(config.issue_dev_token(
        &tenant,
        &sub,
        roles,
        vendor.as_ref(),
        ttl,
        chrono::Utc::now(),
    )?)
}

pub fn run(args: TokenArgs) -> Result<()> {
    let Some(secret) = dev_secret(&args.data_dir, false)? else {
        bail!("no dev secret: set {ENV_HS256_SECRET} or start `oms serve` once (it creates one in {})", args.data_dir.display());
    };
    let mut config = AuthConfig::dev_hs256(secret.into_bytes());
    if let Ok(iss) = std::env::var(oms_auth::ENV_ISSUER) {
        config = config.with_issuer(iss);
    }
    if let Ok(aud) = std::env::var(oms_auth::ENV_AUDIENCE) {
        config = config.with_audience(aud);
    }
    let roles = parse_roles(&args.roles)?;
    let token = issue(
        &config,
        &args.tenant,
        &args.sub,
        &roles,
        args.vendor_id.as_deref(),
        parse_ttl(&args.ttl)?,
    )?;
    println!("{token}");
    Ok(())
}
