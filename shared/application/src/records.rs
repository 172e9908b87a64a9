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

/// Credentials of a payment provider the tenant uses for confirmOrder when no signed payment
/// event was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderConfig {
    pub base_url: String,
    /// Stripe secret key, or PayPal `client_id:secret`.
    pub credentials: String,
}

/// A tenant's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantConfig {
    pub tenant: TenantId,
    /// Active webhook secrets (two during rotation).
    pub webhook_secrets: Vec<String>,
    pub signature_scheme: SignatureScheme,
    /// Also accept the original OMS's `/webhook/wss/...` senders.
    pub legacy_wss: bool,
    /// None = the default table (SG GST, US CA/NY/TX).
    pub tax_table: Option<TaxTable>,
    /// The catalog prices (and shipping prices) already contain the tax: it is extracted, not
    /// added (docs/pricing.md "Tax-inclusive prices"). Configs stored before it existed: false.
    #[serde(default)]
    pub prices_include_tax: bool,
    pub stripe: Option<ProviderConfig>,
    pub paypal: Option<ProviderConfig>,
    /// Where the tenant's outbound order events are POSTed (none: not sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_url: Option<String>,
    /// The secret their `Oms-Signature` is computed with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_secret: Option<String>,
    /// How long a PENDING order holds its stock and coupon uses (seconds; none: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_hold_secs: Option<u64>,
    /// How long an untouched DRAFT lives (seconds; none: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_ttl_secs: Option<u64>,
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
            webhook_secrets: vec![],
            signature_scheme: SignatureScheme::Oms,
            legacy_wss: false,
            tax_table: None,
            prices_include_tax: false,
            stripe: None,
            paypal: None,
            events_url: None,
            events_secret: None,
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
