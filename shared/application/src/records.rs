//! Records the application keeps besides orders and snapshots.

use chrono::{DateTime, Utc};
use oms_domain::ids::{OrderId, TenantId};
use oms_domain::money::Money;
use oms_domain::order::PaymentMethod;
use oms_domain::pricing::TaxTable;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Longest idempotency key a client may send (Stripe's limit).
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;
/// How long an idempotency record answers replays.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// An idempotency key scoped by tenant (in the storage key), caller and operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyKey {
    pub sub: String,
    pub operation: String,
    /// SHA-256 (hex) of the client's key, so any printable key fits a storage key safely.
    pub key_hash: String,
}

impl IdempotencyKey {
    pub fn new(sub: &str, operation: &str, client_key: &str) -> Self {
        IdempotencyKey {
            sub: sub.to_string(),
            operation: operation.to_string(),
            key_hash: sha256_hex(client_key.as_bytes()),
        }
    }
}

/// A stored success: replays with the same input hash answer exactly the first result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub key: IdempotencyKey,
    /// SHA-256 of the canonical JSON of the mutation input.
    pub input_hash: String,
    pub order_id: OrderId,
    pub expires_at: DateTime<Utc>,
    /// The order as the first request answered it, written in the same transaction. A replay
    /// answers this, not the order as it is now (which may have moved on: confirmed, shipped),
    /// so a retried request sees exactly what the lost response said. Records written before
    /// this field existed have none and replay the current order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<oms_domain::order::Order>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Status of a payment reported by a provider event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentEventStatus {
    Succeeded,
    Refunded,
}

/// A payment recorded from a signed `payments` event (or fetched from a provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub transaction_id: String,
    pub order_id: OrderId,
    pub method: PaymentMethod,
    pub amount: Money,
    pub status: PaymentEventStatus,
    /// Set when the refund event was recorded.
    pub refunded_amount: Option<Money>,
    /// The order this transaction confirmed (one transaction id confirms one order).
    pub claimed_by: Option<OrderId>,
}

/// Webhook signature scheme of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureScheme {
    #[default]
    Oms,
    Wss,
}

/// A payment provider as the gateway calls it: where, and with which credentials (resolved from
/// the tenant's [`TenantSecrets`]; never stored in this shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderConfig {
    pub base_url: String,
    /// Stripe secret key, or PayPal `client_id:secret`.
    pub credentials: String,
}

/// Where a tenant's payment provider is reached. The credentials are in [`TenantSecrets`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderEndpoint {
    pub base_url: String,
}

/// The providers confirmOrder may ask about a payment, credentials resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantProviders {
    pub stripe: Option<ProviderConfig>,
    pub paypal: Option<ProviderConfig>,
}

/// A tenant's configuration: what every order request reads (and what the webhook receiver and
/// the sender read besides the secrets). No secret is in it: those are [`TenantSecrets`], a
/// separate item (docs/data-model.md "Tenant configuration and secrets").
///
/// Configurations stored before the split carried the secrets inline; reading one here ignores
/// them (`stripe`/`paypal` keep their base URL), and `get_tenant_secrets` reads them from that
/// item until the tenant is put again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantConfig {
    pub tenant: TenantId,
    pub signature_scheme: SignatureScheme,
    /// Also accept the original OMS's `/webhook/wss/...` senders.
    pub legacy_wss: bool,
    /// None = the default table (SG GST, US CA/NY/TX).
    pub tax_table: Option<TaxTable>,
    /// The catalog prices (and shipping prices) already contain the tax: it is extracted, not
    /// added (docs/pricing.md "Tax-inclusive prices"). Configs stored before it existed: false.
    #[serde(default)]
    pub prices_include_tax: bool,
    /// Stripe, when the tenant has it (its key is in the secrets).
    #[serde(default)]
    pub stripe: Option<ProviderEndpoint>,
    /// PayPal, when the tenant has it (its client id and secret are in the secrets).
    #[serde(default)]
    pub paypal: Option<ProviderEndpoint>,
    /// Where the tenant's outbound order events are POSTed (none: not sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_url: Option<String>,
    /// How long a PENDING order holds its stock and coupon uses (seconds; none: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_hold_secs: Option<u64>,
    /// How long an untouched DRAFT lives (seconds; none: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_ttl_secs: Option<u64>,
}

/// The prefix of a secret stored as a reference: `ssm:<parameter name>` stands for the value of
/// that SSM parameter (SecureString, read with decryption), resolved by the process that needs
/// it ([`crate::ports::SecretResolver`]).
pub const SSM_REFERENCE_PREFIX: &str = "ssm:";

/// A tenant's secrets, apart from the configuration: read only by the webhook receiver (webhook
/// secrets), payment confirmation (provider credentials, when it must ask a provider) and the
/// event sender (events secret); never cached with the configuration. Each value is the secret
/// itself or a reference `ssm:<parameter name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSecrets {
    pub tenant: TenantId,
    /// Active webhook secrets (two during rotation).
    #[serde(default)]
    pub webhook_secrets: Vec<String>,
    /// The secret outbound events are signed with (`Oms-Signature`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_secret: Option<String>,
    /// The Stripe secret (or restricted read-only) key, or a reference to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe: Option<String>,
    /// PayPal `client_id:secret`; the part after the first `:` may be a reference
    /// (`client_id:ssm:<name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paypal: Option<String>,
}

impl TenantSecrets {
    pub fn new(tenant: TenantId) -> Self {
        TenantSecrets {
            tenant,
            webhook_secrets: vec![],
            events_secret: None,
            stripe: None,
            paypal: None,
        }
    }
}

/// Whether a stored secret is a reference (`ssm:<name>`) rather than the secret itself.
pub fn is_secret_reference(stored: &str) -> bool {
    stored.starts_with(SSM_REFERENCE_PREFIX)
}

/// The hold window of a tenant that set none: 30 minutes.
pub const DEFAULT_PENDING_HOLD_SECS: u64 = 30 * 60;
/// The draft lifetime of a tenant that set none: 30 days.
pub const DEFAULT_DRAFT_TTL_SECS: u64 = 30 * 86_400;

fn seconds(secs: u64) -> chrono::Duration {
    chrono::Duration::seconds(
        i64::try_from(secs)
            .unwrap_or(i64::MAX / 1000)
            .min(i64::MAX / 1000),
    )
}

/// The hold window of `config` (the default without one).
pub fn pending_hold(config: Option<&TenantConfig>) -> chrono::Duration {
    seconds(
        config
            .and_then(|c| c.pending_hold_secs)
            .unwrap_or(DEFAULT_PENDING_HOLD_SECS),
    )
}

/// The draft lifetime of `config` (the default without one).
pub fn draft_ttl(config: Option<&TenantConfig>) -> chrono::Duration {
    seconds(
        config
            .and_then(|c| c.draft_ttl_secs)
            .unwrap_or(DEFAULT_DRAFT_TTL_SECS),
    )
}

impl TenantConfig {
    pub fn new(tenant: TenantId) -> Self {
        TenantConfig {
            tenant,
            signature_scheme: SignatureScheme::Oms,
            legacy_wss: false,
            tax_table: None,
            prices_include_tax: false,
            stripe: None,
            paypal: None,
            events_url: None,
            pending_hold_secs: None,
            draft_ttl_secs: None,
        }
    }

    pub fn tax_table(&self) -> TaxTable {
        self.tax_table
            .clone()
            .unwrap_or_else(TaxTable::default_rules)
    }
}
