//! The item store as the repositories call it: a failed call says which call it was and on which
//! kinds of key (`GetItem on Order,TenantConfig`), so a fault logged at the application boundary
//! keeps its context. Key values (tenant, customer, payment ids) never appear: only their kinds
//! ([`crate::keys::kind`]).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use oms_application::ports::{Contention, StoreFault};
use oms_store::{
    BatchWrite, BoxError, Item, ItemStore, Key, Page, QueryRequest, RoundTrips, StoreError, WriteOp,
};

use crate::keys;

/// Which store call on which kinds of key failed: the source of a described store error.
#[derive(Debug)]
pub struct CallContext {
    pub call: &'static str,
    pub key_kinds: String,
    source: BoxError,
}

impl fmt::Display for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}: {}", self.call, self.key_kinds, self.source)
    }
}

impl std::error::Error for CallContext {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.source()
    }
}

/// Wraps a store so that its failures carry their call and key kinds. Expected outcomes
/// (`ConditionFailed`, `TransactionCanceled`, `Conflict`) pass unchanged: their callers decide
/// what they mean.
pub(crate) struct DescribedStore {
    inner: Arc<dyn ItemStore>,
}

impl DescribedStore {
    pub(crate) fn new(inner: Arc<dyn ItemStore>) -> Self {
        DescribedStore { inner }
    }
}

/// `e` with the call and key kinds in it (variants kept, so callers still match on them).
pub(crate) fn describe(call: &'static str, key_kinds: String, e: StoreError) -> StoreError {
    let wrap = |source: BoxError| -> BoxError {
        Box::new(CallContext {
            call,
            key_kinds: key_kinds.clone(),
            source,
        })
    };
    match e {
        StoreError::Throttled(source) => StoreError::Throttled(wrap(source)),
        StoreError::Unavailable(source) => StoreError::Unavailable(wrap(source)),
        StoreError::Internal(source) => StoreError::Internal(wrap(source)),
        StoreError::Invalid { reason, source } => {
            let inner: BoxError = source.unwrap_or_else(|| reason.clone().into());
            StoreError::Invalid {
                reason,
                source: Some(wrap(inner)),
            }
        }
        StoreError::LimitExceeded(message) => {
            StoreError::LimitExceeded(format!("{call} on {key_kinds}: {message}"))
        }
        expected => expected,
    }
}

/// The call and key kinds a described store error carries, if any.
fn context(e: &StoreError) -> Option<&CallContext> {
    match e {
        StoreError::Throttled(source)
        | StoreError::Unavailable(source)
        | StoreError::Internal(source)
        | StoreError::Invalid {
            source: Some(source),
            ..
        } => source.downcast_ref::<CallContext>(),
        _ => None,
    }
}

/// The fault a store error is to the use cases: with its call and key kinds when described, and
/// marked as contention (the retryable TRY_AGAIN) when the store stayed throttled, busy or
/// conflicted after its retries.
pub(crate) fn fault(e: StoreError) -> StoreFault {
    let contention = match &e {
        StoreError::Throttled(_) => Some(Contention::Throttled),
        StoreError::Conflict => Some(Contention::Conflict),
        _ => None,
    };
    let on = context(&e).map(|c| (c.call, c.key_kinds.clone()));
    let mut fault = StoreFault::with_source("item store call failed", e);
    if let Some((call, kinds)) = on {
        fault = fault.on(call, kinds);
    }
    if let Some(why) = contention {
        fault = fault.contended(why);
    }
    fault
}

fn write_call(op: &WriteOp) -> &'static str {
    match op {
        WriteOp::Put { .. } => "PutItem",
        WriteOp::Update { .. } => "UpdateItem",
        WriteOp::Delete { .. } => "DeleteItem",
        WriteOp::Check { .. } => "ConditionCheck",
    }
}

#[async_trait]
impl ItemStore for DescribedStore {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        self.inner
            .get(key, consistent)
            .await
            .map_err(|e| describe("GetItem", keys::kind(key).to_owned(), e))
    }

    async fn batch_get(&self, keys: &[Key], consistent: bool) -> Result<Vec<Item>, StoreError> {
        self.inner
            .batch_get(keys, consistent)
            .await
            .map_err(|e| describe("BatchGetItem", keys::kinds(keys), e))
    }

    async fn query(&self, req: QueryRequest) -> Result<Page, StoreError> {
        let kind = keys::query_kind(req.index, &req.pk);
        self.inner
            .query(req)
            .await
            .map_err(|e| describe("Query", kind.to_owned(), e))
    }

    async fn transact_write(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        let targets: Vec<Key> = ops.iter().filter_map(|op| op.key().ok()).collect();
        self.inner
            .transact_write(ops)
            .await
            .map_err(|e| describe("TransactWriteItems", keys::kinds(&targets), e))
    }

    async fn write(&self, op: WriteOp) -> Result<(), StoreError> {
        let call = write_call(&op);
        let kind = op.key().map_or("Unknown", |k| keys::kind(&k));
        self.inner
            .write(op)
            .await
            .map_err(|e| describe(call, kind.to_owned(), e))
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> Result<(), StoreError> {
        let targets: Vec<Key> = writes.iter().filter_map(|w| w.key().ok()).collect();
        self.inner
            .batch_write(writes)
            .await
            .map_err(|e| describe("BatchWriteItem", keys::kinds(&targets), e))
    }

    fn round_trips(&self) -> &RoundTrips {
        self.inner.round_trips()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oms_application::error::AppError;
    use oms_domain::ErrorCode;

    fn sdk_error() -> BoxError {
        "ProvisionedThroughputExceededException: rate of requests exceeds the allowed throughput"
            .into()
    }

    /// Throttling that outlived the store's retries, on a read as on a write, is the retryable
    /// TRY_AGAIN saying which, with the call and key kinds kept for the log.
    #[test]
    fn a_throttled_read_is_try_again_and_keeps_its_call_and_key_kinds() {
        let key = Key::new("T#acme#ORDER#ORD-1", "ORDER");
        let e = describe(
            "GetItem",
            keys::kind(&key).to_owned(),
            StoreError::Throttled(sdk_error()),
        );
        let f = fault(e);
        assert_eq!(
            (f.call, f.key_kinds.as_deref(), f.contention),
            (Some("GetItem"), Some("Order"), Some(Contention::Throttled))
        );
        let logged = oms_application::error::error_chain(&f);
        assert!(logged.contains("call=GetItem"), "{logged}");
        assert!(logged.contains("key_kinds=Order"), "{logged}");
        assert!(logged.contains("ProvisionedThroughputExceeded"), "{logged}");
        assert!(
            !logged.contains("acme") && !logged.contains("ORD-1"),
            "{logged}"
        );
        match AppError::from(f) {
            AppError::User(e) => {
                assert_eq!(e.code, ErrorCode::TryAgain);
                assert!(e.message.contains("throttled"), "{}", e.message);
                assert!(
                    e.message.contains("send the request again"),
                    "{}",
                    e.message
                );
            }
            other => panic!("expected TRY_AGAIN, got {other:?}"),
        }
    }

    /// A batch read names each kind once with its count; a conflict is TRY_AGAIN too.
    #[test]
    fn batch_reads_name_their_kinds_and_conflicts_are_try_again() {
        let keys = [
            Key::new("T#a#VENDOR#v#SKU#s", "PRODUCT"),
            Key::new("T#a#VENDOR#v#SKU#s", "STOCK"),
            Key::new("T#a#VENDOR#v#SKU#t", "PRODUCT"),
            Key::new("T#a#VENDOR#v", "DETAILS"),
        ];
        let f = fault(describe(
            "BatchGetItem",
            keys::kinds(&keys),
            StoreError::Throttled("unprocessed keys after the retries".into()),
        ));
        assert_eq!(f.key_kinds.as_deref(), Some("Product×2,Stock,Vendor"));
        let f = fault(StoreError::Conflict);
        assert_eq!(f.contention, Some(Contention::Conflict));
        assert!(matches!(
            AppError::from(f),
            AppError::User(e) if e.code == ErrorCode::TryAgain && e.message.contains("conflict")
        ));
    }

    /// Other faults stay INTERNAL (details in the log only), still saying which call on which
    /// kinds; expected outcomes pass through unchanged.
    #[test]
    fn other_faults_are_internal_with_their_context() {
        let f = fault(describe(
            "Query",
            "Order".into(),
            StoreError::Unavailable("connection reset".into()),
        ));
        assert_eq!((f.call, f.contention), (Some("Query"), None));
        let logged = oms_application::error::error_chain(&f);
        assert!(
            logged.contains("call=Query") && logged.contains("connection reset"),
            "{logged}"
        );
        assert!(matches!(AppError::from(f), AppError::Internal(_)));

        let f = fault(describe(
            "PutItem",
            "VendorOffers".into(),
            StoreError::LimitExceeded("item is 500000 bytes (max 409600)".into()),
        ));
        let logged = oms_application::error::error_chain(&f);
        assert!(logged.contains("PutItem on VendorOffers"), "{logged}");
        assert!(matches!(AppError::from(f), AppError::Internal(_)));

        let f = fault(describe(
            "UpdateItem",
            "Coupon".into(),
            StoreError::invalid("an update needs at least one change"),
        ));
        assert_eq!(f.call, Some("UpdateItem"));

        assert!(matches!(
            describe("PutItem", "Order".into(), StoreError::ConditionFailed),
            StoreError::ConditionFailed
        ));
        assert!(matches!(
            describe(
                "TransactWriteItems",
                "Order".into(),
                StoreError::TransactionCanceled { failed: vec![0] }
            ),
            StoreError::TransactionCanceled { .. }
        ));
    }
}
