//! Orders: load, list, and the one-transaction commit.

use std::collections::HashMap;

use async_trait::async_trait;
use oms_application::ports::{
    CommitError, Contention, CouponUseChange, ListError, OrderCommit, OrderLoad, OrderLoadRequest,
    OrderOwner, OrderPage, OrderQuery, OrderRepository, StockMove, StoreFault,
};
use oms_application::records::{IdempotencyRecord, PaymentRecord, TenantConfig};
use oms_domain::catalog::UserAuthorization;
use oms_domain::ids::{OrderId, TenantId};
use oms_domain::order::{Order, OrderStatus};
use oms_store::limits::BATCH_GET_CHUNK;
use oms_store::{
    Cond, Index, Item, Key, QueryRequest, SkCondition, StoreError, Update, Value, WriteOp,
};

use super::refresh::refresh_op;
use super::stock::{merge_stock, StockOp};
use super::{fault, Repository};
use crate::codec::{
    self, base, from_body, to_body, unix, version_of, BODY, CLAIMED_BY, IS_ACTIVE, USED, VERSION,
};
use crate::cursor::{self, ListIndex};
use crate::keys;
use oms_application::outbound::OUTBOX_ENTITY;

/// Most `Query` calls one `listOrders` page makes. The first reads up to `first + 1` index
/// entries; a DynamoDB page also ends at 1 MB (of index entries: about 3,000 keys on AWS; moto
/// sizes a GSI page by the whole items, so there big orders end it much sooner), and the list
/// reads on from the page's last key. Past this many calls the page ends short of `first` with
/// `hasNextPage: true` and its `endCursor` where it stopped.
pub const MAX_QUERIES_PER_PAGE: usize = 4;

/// Most bytes of orders (item sizes, as DynamoDB counts them) one `listOrders` page returns:
/// the page ends before the order that would pass it, with `hasNextPage: true`, which bounds one
/// response to about 4 MB of orders (a Lambda response holds 6 MB).
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// Retries of a commit after mending its stock ops (rare paths: a product stored before holds
/// were counted apart, a SKU renamed after the hold, a later shipment recorded first).
const STOCK_FIX_ATTEMPTS: usize = 2;

/// How long outbox items stay (the relay reads the stream within minutes; TTL cleans up).
const OUTBOX_TTL_DAYS: i64 = 7;

/// What each op of a commit transaction stands for, to map a cancellation back to its cause.
enum OpRole {
    Order,
    /// The index of the stock op.
    Stock(usize),
    /// The coupon's code and the key of its stored coupon item.
    Coupon {
        code: oms_domain::ids::CouponCode,
        coupon: Key,
    },
    Payment,
    Idempotency,
    Outbox,
    Snapshot,
    Hold,
}

#[async_trait]
impl OrderRepository for Repository {
    async fn get_order(
        &self,
        tenant: &TenantId,
        id: &OrderId,
    ) -> Result<Option<Order>, StoreFault> {
        let item = self
            .store
            .get(&keys::order(tenant, id), true)
            .await
            .map_err(fault)?;
        match item {
            Some(i) => codec::order_from_item(tenant, &i),
            None => Ok(None),
        }
    }

    async fn load_order(
        &self,
        tenant: &TenantId,
        request: &OrderLoadRequest<'_>,
    ) -> Result<OrderLoad, StoreFault> {
        let order_key = keys::order(tenant, request.order_id);
        let config_key = keys::tenant_config(tenant);
        let idem_key = request.idempotency.map(|k| keys::idempotency(tenant, k));
        let payment_key = request.transaction_id.map(|t| keys::payment(tenant, t));
        let authz_key = request.user.map(|u| keys::user_authorization(tenant, u));
        let cached_config = self.cached_config(tenant);
        let mut wanted = vec![order_key.clone()];
        if cached_config.is_none() {
            wanted.push(config_key.clone());
        }
        wanted.extend(idem_key.clone());
        wanted.extend(payment_key.clone());
        wanted.extend(authz_key.clone());
        let items = self.store.batch_get(&wanted, true).await.map_err(fault)?;
        let mut load = OrderLoad::default();
        for item in &items {
            let key = Key::of(item).map_err(fault)?;
            if key == order_key {
                load.order = codec::order_from_item(tenant, item)?;
            } else if key == config_key {
                load.tenant_config = Some(from_body::<TenantConfig>(item)?);
            } else if Some(&key) == idem_key.as_ref() {
                load.idempotency = Some(from_body::<IdempotencyRecord>(item)?);
            } else if Some(&key) == payment_key.as_ref() {
                load.payment = Some(payment_from_item(item)?);
            } else if Some(&key) == authz_key.as_ref() {
                load.authorization = Some(from_body::<UserAuthorization>(item)?);
            }
        }
        match cached_config {
            Some(config) => load.tenant_config = config,
            None => self.remember_config(tenant, load.tenant_config.as_ref()),
        }
        Ok(load)
    }

    async fn commit(&self, tenant: &TenantId, commit: OrderCommit) -> Result<(), CommitError> {
        let mut stock = merge_stock(&commit.stock)?;
        for attempt in 0..=STOCK_FIX_ATTEMPTS {
            let (ops, roles) = commit_ops(tenant, &commit, &stock)?;
            match self.store.transact_write(ops).await {
                Ok(()) => return Ok(()),
                Err(StoreError::TransactionCanceled { failed }) => {
                    // Only stock ops failed: a missing stock item or a later shipment's time,
                    // mended and tried again (rare paths: see `fix_stock`), or the reason.
                    let stock_only = failed
                        .iter()
                        .all(|i| matches!(roles.get(*i), Some(OpRole::Stock(_))));
                    if !stock_only || attempt == STOCK_FIX_ATTEMPTS {
                        return Err(self.explain(tenant, &roles, &failed, &stock).await);
                    }
                    for index in &failed {
                        if let Some(OpRole::Stock(j)) = roles.get(*index) {
                            if let Some(op) = stock.get_mut(*j) {
                                self.fix_stock(tenant, op).await?;
                            }
                        }
                    }
                }
                Err(e) => return Err(contended(tenant, &commit, &roles, e)),
            }
        }
        Err(CommitError::Fault(StoreFault::new(
            "the order's stock items kept changing; retry later",
        )))
    }

    async fn list_orders(
        &self,
        tenant: &TenantId,
        query: &OrderQuery,
    ) -> Result<OrderPage, ListError> {
        let (index, partition) = match (&query.owner, query.status) {
            (OrderOwner::Customer(c), None) => (Index::Gsi1, keys::customer_orders(tenant, c)),
            (OrderOwner::Vendor(v), None) => (Index::Gsi2, keys::vendor_orders(tenant, v)),
            (OrderOwner::Customer(c), Some(s)) => {
                (Index::Gsi3, keys::customer_orders_by_status(tenant, c, s))
            }
            (OrderOwner::Vendor(v), Some(s)) => {
                (Index::Gsi4, keys::vendor_orders_by_status(tenant, v, s))
            }
        };
        // What a cursor is bound to (inside its MAC): tenant, caller kind and id, status filter.
        let (kind, owner) = match &query.owner {
            OrderOwner::Customer(c) => ("CUSTOMER", c.as_str()),
            OrderOwner::Vendor(v) => ("VENDOR", v.as_str()),
        };
        let scope = [
            tenant.as_str(),
            kind,
            owner,
            query.status.map(|s| s.as_str()).unwrap_or(""),
        ];
        let (pk_attr, sk_attr) = index.key_attrs();
        let list = ListIndex {
            pk_attr,
            sk_attr,
            partition: &partition,
        };
        let start_after = match &query.after {
            Some(c) => Some(
                cursor::decode(&self.cursor_key, c, &scope, list)
                    .ok_or(ListError::InvalidCursor)?,
            ),
            None => None,
        };
        // Drafts are never on a vendor's lists (docs/data-model.md): nothing to read.
        if matches!(query.owner, OrderOwner::Vendor(_)) && query.status == Some(OrderStatus::Draft)
        {
            return Ok(OrderPage {
                orders: Vec::new(),
                has_next_page: false,
                end_cursor: None,
            });
        }
        // One more than asked tells whether a next page exists without another query.
        // (Saturating: the port takes any `u32`; `u32::MAX + 1` must not panic or wrap to 0.)
        let first = usize::try_from(query.first.max(1)).unwrap_or(usize::MAX);
        let wanted = first.saturating_add(1);
        // The index entries (keys only). A Query page also ends at 1 MB: read on from its last
        // key until `first + 1` entries are in, the partition ends, or MAX_QUERIES_PER_PAGE
        // calls were made.
        let mut entries: Vec<Item> = Vec::new();
        let mut start = start_after;
        let mut calls = 0;
        let unread = loop {
            calls += 1;
            let request = QueryRequest {
                index,
                pk: partition.clone(),
                sk: SkCondition::Any,
                forward: false,
                limit: u32::try_from(wanted.saturating_sub(entries.len()))
                    .unwrap_or(u32::MAX)
                    .max(1),
                start_after: start.take(),
                consistent: false,
            };
            let page = self
                .store
                .query(request)
                .await
                .map_err(|e| ListError::Fault(fault(e)))?;
            entries.extend(page.items);
            match page.last_key {
                None => break None,
                Some(last) if entries.len() >= wanted || calls >= MAX_QUERIES_PER_PAGE => {
                    break Some(last)
                }
                Some(last) => start = Some(last),
            }
        };
        // More orders follow when one more than asked was read, or when the store still had
        // more to read after the last call (a page cut short by the query budget). The next page
        // starts after the last order considered here, or where the store stopped.
        let considered = &entries[..entries.len().min(first)];
        let position = |at: &Item| {
            cursor::encode(&self.cursor_key, &scope, list, at)
                .ok_or_else(|| StoreFault::new("a listed order lacks its index keys"))
        };
        // The index holds keys only: the bodies come from the table, in list order.
        let (orders, cut_after) = self.list_bodies(tenant, query, considered).await?;
        let resume = match cut_after {
            Some(i) => considered.get(i),
            None if entries.len() > first => considered.last(),
            None => unread.as_ref(),
        };
        let orders = orders
            .into_iter()
            .map(|(i, order)| {
                let at = considered
                    .get(i)
                    .ok_or_else(|| StoreFault::new("a listed order outside its page"))?;
                Ok((position(at)?, order))
            })
            .collect::<Result<Vec<_>, StoreFault>>()?;
        let end_cursor = match resume {
            Some(at) => Some(position(at)?),
            None => orders.last().map(|(c, _)| c.clone()),
        };
        Ok(OrderPage {
            orders,
            has_next_page: resume.is_some(),
            end_cursor,
        })
    }
}

impl Repository {
    /// The orders of `entries` (index entries, in list order) that still belong to the list,
    /// with each one's position in `entries`, read from the table in BatchGetItems of 100 keys
    /// (eventually consistent, like the index). An entry whose order is gone, expired, of another
    /// tenant or owner, or no longer in the list (another status since the index was read, or a
    /// DRAFT on a vendor's list) is left out. The page ends before the order that would take it
    /// past [`MAX_PAGE_BYTES`] (at least one order is shown); then the second value is the
    /// position of the last entry the page covers, where the next page starts after.
    async fn list_bodies(
        &self,
        tenant: &TenantId,
        query: &OrderQuery,
        entries: &[Item],
    ) -> Result<(Vec<(usize, Order)>, Option<usize>), ListError> {
        let keys = entries
            .iter()
            .map(Key::of)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ListError::Fault(fault(e)))?;
        let mut orders = Vec::new();
        let mut bytes = 0usize;
        for (chunk_index, chunk) in keys.chunks(BATCH_GET_CHUNK).enumerate() {
            let mut found: HashMap<Key, Item> = HashMap::with_capacity(chunk.len());
            for item in self
                .store
                .batch_get(chunk, false)
                .await
                .map_err(|e| ListError::Fault(fault(e)))?
            {
                found.insert(
                    Key::of(&item).map_err(|e| ListError::Fault(fault(e)))?,
                    item,
                );
            }
            for (offset, key) in chunk.iter().enumerate() {
                let at = chunk_index * BATCH_GET_CHUNK + offset;
                let Some(item) = found.remove(key) else {
                    continue;
                };
                let Some(order) = codec::order_from_item(tenant, &item)? else {
                    continue;
                };
                if !in_list(&order, query) {
                    continue;
                }
                let size = oms_store::limits::item_size(&item);
                if !orders.is_empty() && bytes.saturating_add(size) > MAX_PAGE_BYTES {
                    return Ok((orders, Some(at.saturating_sub(1))));
                }
                bytes = bytes.saturating_add(size);
                orders.push((at, order));
            }
        }
        Ok((orders, None))
    }
}

/// Whether `order` (read from the table) is still one of the list's: its owner's, with the
/// filtered status, and never a DRAFT on a vendor's list (drafts written before that rule may
/// still have vendor index keys until they are next written or expire).
fn in_list(order: &Order, query: &OrderQuery) -> bool {
    let owner = match &query.owner {
        OrderOwner::Customer(c) => &order.customer.customer_id == c,
        OrderOwner::Vendor(v) => &order.vendor.vendor_id == v && order.status != OrderStatus::Draft,
    };
    owner && query.status.is_none_or(|s| order.status == s)
}

impl Repository {
    /// Maps the failed ops of a cancelled commit to the first business reason.
    async fn explain(
        &self,
        tenant: &TenantId,
        roles: &[OpRole],
        failed: &[usize],
        stock: &[StockOp],
    ) -> CommitError {
        // A concurrent request with the same idempotency key committed first: whatever else
        // failed with it (the order's version, which that request moved), the answer is a
        // replay of that request's result, never VERSION_CONFLICT.
        if failed
            .iter()
            .any(|i| matches!(roles.get(*i), Some(OpRole::Idempotency)))
        {
            return CommitError::IdempotencyKeyTaken;
        }
        for index in failed {
            match roles.get(*index) {
                Some(OpRole::Order) | Some(OpRole::Outbox) => return CommitError::VersionConflict,
                Some(OpRole::Idempotency) => return CommitError::IdempotencyKeyTaken,
                Some(OpRole::Payment) => return CommitError::PaymentAlreadyUsed,
                Some(OpRole::Coupon { code, coupon }) => {
                    // Failure path only: one read tells "no longer active" from "used up".
                    return self.coupon_refusal(code, coupon).await;
                }
                Some(OpRole::Stock(j)) => match stock.get(*j) {
                    Some(op) if op.change.movement == StockMove::Hold => {
                        // Failure path only: one read tells "inactive" from "not enough".
                        return match self.hold_refusal(tenant, &op.change).await {
                            Ok(e) | Err(e) => e,
                        };
                    }
                    _ => {}
                },
                // A refreshed snapshot changed since it was read: the use case reads again.
                Some(OpRole::Snapshot) => return CommitError::SnapshotChanged,
                Some(OpRole::Hold) | None => {}
            }
        }
        CommitError::Fault(StoreFault::new(format!(
            "transaction cancelled for ops {failed:?}"
        )))
    }
}

/// A store error of the commit transaction: contention (a conflict or throttling that outlived
/// the store's retries) becomes the typed, retryable [`CommitError::Contended`]; anything else a
/// fault. Either way the log keeps which call failed on which key kinds.
fn contended(
    tenant: &TenantId,
    commit: &OrderCommit,
    roles: &[OpRole],
    e: StoreError,
) -> CommitError {
    let why = match &e {
        StoreError::Conflict => Some(Contention::Conflict),
        StoreError::Throttled(_) => Some(Contention::Throttled),
        _ => None,
    };
    let key_kinds = key_kinds(roles);
    match why {
        Some(why) => {
            tracing::warn!(
                call = "TransactWriteItems",
                key_kind = "Order",
                key_kinds = %key_kinds,
                tenant = %tenant,
                order_id = %commit.order.id,
                contention = %why,
                error = %e,
                "order commit refused by store contention after retries; answered TRY_AGAIN"
            );
            CommitError::Contended(why)
        }
        None => {
            tracing::error!(
                call = "TransactWriteItems",
                key_kind = "Order",
                key_kinds = %key_kinds,
                tenant = %tenant,
                order_id = %commit.order.id,
                error = ?e,
                "order commit failed in the store"
            );
            CommitError::Fault(fault(e))
        }
    }
}

/// The kinds of key a commit transaction writes, in op order, e.g. `Order,Hold,Stock×2,Outbox`.
fn key_kinds(roles: &[OpRole]) -> String {
    let mut kinds: Vec<(&'static str, usize)> = Vec::new();
    for role in roles {
        let kind = match role {
            OpRole::Order => "Order",
            OpRole::Stock(_) => "Stock",
            OpRole::Coupon { .. } => "Coupon",
            OpRole::Payment => "Payment",
            OpRole::Idempotency => "Idempotency",
            OpRole::Outbox => "Outbox",
            OpRole::Snapshot => "Snapshot",
            OpRole::Hold => "Hold",
        };
        match kinds.last_mut() {
            Some((last, n)) if *last == kind => *n += 1,
            _ => kinds.push((kind, 1)),
        }
    }
    keys::counts_text(&kinds)
}

impl Repository {
    /// Why a coupon op failed: the stored coupon item is gone or no longer active
    /// (COUPON_INVALID), else a usage limit was reached.
    async fn coupon_refusal(
        &self,
        code: &oms_domain::ids::CouponCode,
        coupon: &Key,
    ) -> CommitError {
        match self.store.get(coupon, true).await {
            Ok(Some(item)) if item.get(IS_ACTIVE) == Some(&Value::Bool(true)) => {
                CommitError::CouponLimitReached(code.clone())
            }
            Ok(_) => CommitError::CouponUnavailable(code.clone()),
            Err(e) => CommitError::Fault(fault(e)),
        }
    }
}

fn commit_ops(
    tenant: &TenantId,
    commit: &OrderCommit,
    stock: &[StockOp],
) -> Result<(Vec<WriteOp>, Vec<OpRole>), CommitError> {
    let order = &commit.order;
    if &order.tenant != tenant {
        return Err(CommitError::Fault(StoreFault::new(
            "order of another tenant",
        )));
    }
    let mut ops = Vec::new();
    let mut roles = Vec::new();

    let order_cond = match commit.expected_version {
        None => Cond::NotExists,
        Some(v) => Cond::Eq(VERSION.into(), version_of(v)),
    };
    let mut order_item = codec::order_item(order)?;
    if order.status == oms_domain::order::OrderStatus::Draft {
        // An untouched DRAFT expires (the table's TTL; reads treat it as gone at once).
        let ttl = commit
            .draft_ttl
            .unwrap_or_else(|| oms_application::records::draft_ttl(None));
        order_item.insert("expires_at".into(), unix(order.updated_at + ttl));
    }
    ops.push(WriteOp::Put {
        item: order_item,
        cond: Some(order_cond),
    });
    roles.push(OpRole::Order);

    // The hold index follows the order's hold: entry removed when the hold ends, added when it
    // starts, in the same transaction.
    let hold_after = order.active_hold();
    if commit.hold_before != hold_after {
        if let Some(before) = commit.hold_before {
            ops.push(WriteOp::Delete {
                key: keys::hold(tenant, before, &order.id),
                cond: None,
            });
            roles.push(OpRole::Hold);
        }
        if let Some(after) = hold_after {
            ops.push(WriteOp::Put {
                item: super::holds::hold_item(tenant, &order.id, after),
                cond: None,
            });
            roles.push(OpRole::Hold);
        }
    }

    // One op per SKU on its stock item (docs/data-model.md "Stock").
    for (j, op) in stock.iter().enumerate() {
        if op.dropped {
            continue;
        }
        let change = &op.change;
        let key = keys::stock(tenant, &change.vendor_id, &change.sku);
        let units = i64::from(change.quantity);
        ops.push(match change.movement {
            StockMove::Hold => crate::stock::hold(key, units),
            StockMove::Release => crate::stock::release(key, units),
            StockMove::Ship { at } => {
                crate::stock::ship(key, units, at.timestamp_millis(), !op.keep_later_shipment)
            }
        });
        roles.push(OpRole::Stock(j));
    }

    for change in &commit.coupon_uses {
        for (op, role) in coupon_ops(tenant, change) {
            ops.push(op);
            roles.push(role);
        }
    }

    if let Some(txn) = &commit.payment_claim {
        let key = keys::payment(tenant, txn);
        let claimable = Cond::Or(vec![
            Cond::AttrNotExists(CLAIMED_BY.into()),
            Cond::Eq(CLAIMED_BY.into(), Value::S(order.id.to_string())),
        ]);
        let op = match &commit.payment_record {
            // Verified with the provider (no event recorded): store the record as we claim it.
            Some(record) => {
                let mut item = payment_item(tenant, record)?;
                item.insert(CLAIMED_BY.into(), Value::S(order.id.to_string()));
                WriteOp::Put {
                    item,
                    cond: Some(claimable),
                }
            }
            None => WriteOp::Update {
                key,
                updates: vec![Update::Set(
                    CLAIMED_BY.into(),
                    Value::S(order.id.to_string()),
                )],
                cond: Some(Cond::And(vec![Cond::Exists, claimable])),
            },
        };
        ops.push(op);
        roles.push(OpRole::Payment);
    }

    if let Some(record) = &commit.idempotency {
        let mut item = base(&keys::idempotency(tenant, &record.key), "Idempotency");
        item.insert(BODY.into(), to_body(record)?);
        item.insert("expires_at".into(), unix(record.expires_at));
        ops.push(WriteOp::Put {
            item,
            cond: Some(Cond::NotExists),
        });
        roles.push(OpRole::Idempotency);
    }

    for (i, event) in commit.events.iter().enumerate() {
        // Deterministic ids and keys: a retried commit of the same change cannot publish twice.
        let mut item = base(
            &keys::outbox(tenant, &order.id, order.version, i),
            OUTBOX_ENTITY,
        );
        let body = oms_application::outbound::outbound_event(order, event, i);
        item.insert(BODY.into(), Value::S(body.to_string()));
        item.insert(
            "event_id".into(),
            Value::S(oms_application::outbound::outbound_event_id(order, i)),
        );
        item.insert(
            "expires_at".into(),
            unix(event.occurred_at + chrono::Duration::days(OUTBOX_TTL_DAYS)),
        );
        ops.push(WriteOp::Put {
            item,
            cond: Some(Cond::NotExists),
        });
        roles.push(OpRole::Outbox);
    }

    // Snapshots refreshed by checkout keep their source version (upstream events stay ordered)
    // and are written only while the stored item is as read (docs/data-model.md "Concurrency").
    if let Some(refresh) = &commit.customer {
        let customer = &refresh.snapshot;
        let key = keys::customer(tenant, &customer.customer_id);
        ops.push(refresh_op(
            key,
            "Customer",
            to_body(customer)?,
            customer.is_active,
            refresh.read.as_ref(),
        ));
        roles.push(OpRole::Snapshot);
    }
    if let Some(refresh) = &commit.address {
        let address = &refresh.snapshot;
        let key = keys::customer_address(tenant, &address.customer_id, &address.address_id);
        ops.push(refresh_op(
            key,
            "CustomerAddress",
            to_body(address)?,
            address.is_active,
            refresh.read.as_ref(),
        ));
        roles.push(OpRole::Snapshot);
    }
    Ok((ops, roles))
}

/// The ops of one coupon use. Only the counters in `change.counters` are written: a coupon
/// counts uses on its total only when it has a usage limit, on the customer's counter only when
/// it has a per-customer limit (an unlimited coupon writes no counter). A redemption always
/// checks the stored coupon item (exists and active), with its counter's update when counted,
/// else as a condition check.
fn coupon_ops(tenant: &TenantId, change: &CouponUseChange) -> Vec<(WriteOp, OpRole)> {
    let global_key = keys::coupon(tenant, &change.vendor_id, &change.code);
    let coupon_key = global_key.clone();
    let role = || OpRole::Coupon {
        code: change.code.clone(),
        coupon: coupon_key.clone(),
    };
    let customer_key =
        keys::coupon_use(tenant, &change.vendor_id, &change.code, &change.customer_id);
    let under = |limit: Option<u32>| {
        limit.map(|l| {
            Cond::Or(vec![
                Cond::AttrNotExists(USED.into()),
                Cond::Lt(USED.into(), i64::from(l)),
            ])
        })
    };
    let counters = change.counters;
    let mut ops = Vec::new();
    if change.delta > 0 {
        // Checked on the stored coupon item, not on the snapshot read earlier: a coupon
        // deactivated between the read and this commit refuses the placement.
        let mut global_cond = vec![Cond::Exists, Cond::Eq(IS_ACTIVE.into(), Value::Bool(true))];
        if counters.total {
            global_cond.extend(under(change.usage_limit));
            ops.push((
                WriteOp::Update {
                    key: global_key,
                    updates: vec![Update::Add(USED.into(), change.delta)],
                    cond: Some(Cond::And(global_cond)),
                },
                role(),
            ));
        } else {
            ops.push((
                WriteOp::Check {
                    key: global_key,
                    cond: Cond::And(global_cond),
                },
                role(),
            ));
        }
        if counters.per_customer {
            ops.push((
                WriteOp::Update {
                    key: customer_key,
                    updates: vec![
                        Update::Add(USED.into(), change.delta),
                        Update::Set(codec::ENTITY.into(), Value::S("CouponUse".into())),
                    ],
                    cond: under(change.per_customer_limit),
                },
                role(),
            ));
        }
    } else {
        // Releases are unconditional: a cancellation must never be blocked by a counter.
        if counters.total {
            ops.push((
                WriteOp::Update {
                    key: global_key,
                    updates: vec![Update::Add(USED.into(), change.delta)],
                    cond: None,
                },
                role(),
            ));
        }
        if counters.per_customer {
            ops.push((
                WriteOp::Update {
                    key: customer_key,
                    updates: vec![Update::Add(USED.into(), change.delta)],
                    cond: None,
                },
                role(),
            ));
        }
    }
    ops
}

pub(crate) fn payment_item(tenant: &TenantId, record: &PaymentRecord) -> Result<Item, StoreFault> {
    let mut item = base(&keys::payment(tenant, &record.transaction_id), "Payment");
    item.insert(BODY.into(), to_body(record)?);
    Ok(item)
}

pub(crate) fn payment_from_item(item: &Item) -> Result<PaymentRecord, StoreFault> {
    let mut record: PaymentRecord = from_body(item)?;
    record.claimed_by = codec::string(item, CLAIMED_BY).and_then(|s| OrderId::new(s).ok());
    Ok(record)
}
