//! checkoutItems: a new DRAFT order from the local snapshots.

use chrono::Duration;
use oms_domain::address::Address;
use oms_domain::auth::Role;
use oms_domain::catalog::{AddressType, Customer, CustomerAddress, Product};
use oms_domain::ids::{AddressId, OrderId, Sku, VendorId};
use oms_domain::limits::{check_chars, MAX_EMAIL_CHARS, MAX_PERSON_NAME_CHARS};
use oms_domain::order::{CustomerDetails, Order, MAX_LINE_ITEMS};
use oms_domain::{DomainError, ErrorCode};
use serde::Serialize;

use super::support::{
    commit_error, pricing_context, principal, require, tax_table, user_id, OrderOutcome,
};
use super::Oms;
use crate::caller::Caller;
use crate::error::{try_again, AppError, AppResult};
use crate::ports::{CatalogRequest, CommitError, Contention, OrderCommit, SnapshotRefresh};
use crate::records::{
    sha256_hex, IdempotencyKey, IdempotencyRecord, IDEMPOTENCY_TTL_HOURS, MAX_IDEMPOTENCY_KEY_LEN,
};

/// One requested line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemInput {
    pub sku: String,
    pub quantity: i64,
}

/// Customer details given at checkout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CustomerInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
}

/// A raw address from the API (validated into a domain `Address`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressInput {
    pub street: String,
    pub city: String,
    pub state: Option<String>,
    pub postal: String,
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckoutInput {
    pub vendor_id: String,
    pub items: Vec<ItemInput>,
    pub customer: Option<CustomerInput>,
    pub destination: Option<AddressInput>,
    pub save_destination: bool,
    pub idempotency_key: Option<String>,
}

pub(crate) fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::new(ErrorCode::InvalidInput, message)
}

/// Validates an address input, prefixing field paths with `prefix`.
pub(crate) fn parse_address(input: &AddressInput, prefix: &str) -> Result<Address, DomainError> {
    Address::new(
        &input.street,
        &input.city,
        input.state.as_deref(),
        &input.postal,
        &input.country,
    )
    .map_err(|e| {
        let mut path = vec![prefix.to_string()];
        path.extend(e.field.clone().unwrap_or_default());
        DomainError {
            field: Some(path),
            ..e
        }
    })
}

/// The id an address gets in the address book: derived from its content, so saving the same
/// address twice keeps one entry.
pub(crate) fn address_id_for(address: &Address) -> Result<AddressId, DomainError> {
    let canonical = serde_json::to_string(address)
        .unwrap_or_default()
        .to_lowercase();
    AddressId::new(&format!("addr-{}", &sha256_hex(canonical.as_bytes())[..16]))
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A customer's names within the domain's limit ([`MAX_PERSON_NAME_CHARS`]); fields under
/// `prefix` (`["customer", "firstName"]`, or `["firstName"]` for syncUser).
pub(crate) fn check_person(
    first_name: Option<&str>,
    last_name: Option<&str>,
    prefix: &[&str],
) -> Result<(), DomainError> {
    for (what, key, value) in [
        ("Customer first name", "firstName", first_name),
        ("Customer last name", "lastName", last_name),
    ] {
        if let Some(value) = value {
            check_chars(what, value.trim(), MAX_PERSON_NAME_CHARS)
                .map_err(|e| e.at(prefix.iter().copied().chain([key])))?;
        }
    }
    Ok(())
}

/// An e-mail address: within [`MAX_EMAIL_CHARS`], one `@`, a dotted domain, no whitespace; field
/// `["customer", "email"]`.
fn validate_email(email: &str) -> Result<(), DomainError> {
    check_chars("Customer email", email, MAX_EMAIL_CHARS)
        .map_err(|e| e.at(["customer", "email"]))?;
    let ok = email.len() <= 4 * MAX_EMAIL_CHARS
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(invalid("Customer email is not valid.").at(["customer", "email"]))
    }
}

pub(crate) fn idempotency_key(
    caller: &Caller,
    operation: &str,
    raw: Option<&str>,
) -> AppResult<Option<IdempotencyKey>> {
    match raw.map(str::trim) {
        None => Ok(None),
        Some("") => Err(AppError::User(
            invalid("Idempotency key must not be empty.").at(["idempotencyKey"]),
        )),
        Some(k) if k.len() > MAX_IDEMPOTENCY_KEY_LEN => Err(AppError::User(
            invalid(format!(
                "Idempotency key must be at most {MAX_IDEMPOTENCY_KEY_LEN} characters."
            ))
            .at(["idempotencyKey"]),
        )),
        Some(k) => Ok(Some(IdempotencyKey::new(caller.sub.as_str(), operation, k))),
    }
}

pub(crate) fn input_hash<T: Serialize>(input: &T) -> String {
    sha256_hex(serde_json::to_string(input).unwrap_or_default().as_bytes())
}

/// Attempts of a command that refreshes a snapshot (checkout's customer details, a saved
/// address) when the snapshot keeps changing between its read and the commit; then TRY_AGAIN.
pub(crate) const SNAPSHOT_ATTEMPTS: usize = 3;

impl Oms {
    /// Creates a DRAFT order. Reads: one BatchGetItem; writes: one transaction. When the
    /// customer's snapshot (or the saved address) changed between the read and the commit (a
    /// newer upstream snapshot, another refresh), nothing was written and checkout runs again on
    /// a fresh read (at most [`SNAPSHOT_ATTEMPTS`] times, then TRY_AGAIN).
    pub async fn checkout_items(
        &self,
        caller: &Caller,
        input: CheckoutInput,
    ) -> AppResult<OrderOutcome> {
        for _ in 0..SNAPSHOT_ATTEMPTS {
            if let Some(outcome) = self.checkout_once(caller, &input).await? {
                return Ok(outcome);
            }
        }
        Err(AppError::User(try_again(Contention::Conflict)))
    }

    /// One checkout; `None` when a refreshed snapshot changed since it was read.
    async fn checkout_once(
        &self,
        caller: &Caller,
        input: &CheckoutInput,
    ) -> AppResult<Option<OrderOutcome>> {
        let now = self.clock.now();
        let vendor_id =
            VendorId::new(&input.vendor_id).map_err(|e| AppError::User(e.at(["vendorId"])))?;
        if input.items.is_empty() {
            return Err(AppError::User(
                invalid("At least one item is required.").at(["items"]),
            ));
        }
        if input.items.len() > MAX_LINE_ITEMS {
            return Err(AppError::User(
                invalid(format!(
                    "An order can hold at most {MAX_LINE_ITEMS} line items; {} were given.",
                    input.items.len()
                ))
                .at(["items"]),
            ));
        }
        let mut requested: Vec<(Sku, u32)> = Vec::with_capacity(input.items.len());
        for (i, item) in input.items.iter().enumerate() {
            let idx = i.to_string();
            let sku = Sku::new(&item.sku)
                .map_err(|e| AppError::User(e.at(["items", idx.as_str(), "sku"])))?;
            let qty = u32::try_from(item.quantity)
                .ok()
                .filter(|q| *q > 0)
                .ok_or_else(|| {
                    AppError::User(invalid("Order quantity must be greater than zero.").at([
                        "items",
                        idx.as_str(),
                        "quantity",
                    ]))
                })?;
            requested.push((sku, qty));
        }
        let destination = input
            .destination
            .as_ref()
            .map(|d| parse_address(d, "destination"))
            .transpose()?;
        if input.save_destination && destination.is_none() {
            return Err(AppError::User(
                invalid("saveDestination needs a destination.").at(["saveDestination"]),
            ));
        }
        if let Some(given) = &input.customer {
            check_person(
                given.first_name.as_deref(),
                given.last_name.as_deref(),
                &["customer"],
            )?;
        }
        if let Some(email) = input.customer.as_ref().and_then(|c| clean(&c.email)) {
            validate_email(&email)?;
        }
        let idem = idempotency_key(caller, "checkoutItems", input.idempotency_key.as_deref())?;
        let hash = input_hash(input);
        // The address-book entry a saved destination would be: read with the catalog, so that
        // saving it is conditional on what was read.
        let saved_address_id = match (&destination, input.save_destination) {
            (Some(address), true) => Some(address_id_for(address)?),
            _ => None,
        };

        let user = user_id(caller)?;
        let request = CatalogRequest {
            vendor_id: Some(vendor_id.clone()),
            skus: requested.iter().map(|(s, _)| s.clone()).collect(),
            coupon_codes: vec![],
            customer_id: Some(caller.sub.clone()),
            idempotency: idem.clone(),
            tenant_config: true,
            user: Some(user),
            address_id: saved_address_id.clone(),
        };
        let view = self.load_catalog(caller, request).await?;
        let principal = principal(caller, view.authorization.as_ref());
        require(&principal, Role::Customer)?;

        if let Some(record) = &view.idempotency {
            return self.replay(caller, record, &hash).await.map(Some);
        }
        let vendor = view.vendor.clone().ok_or_else(|| {
            AppError::User(
                DomainError::new(
                    ErrorCode::VendorUnavailable,
                    format!("Vendor {vendor_id} is not available."),
                )
                .at(["vendorId"]),
            )
        })?;
        let mut items: Vec<(Product, u32)> = Vec::with_capacity(requested.len());
        for (i, (sku, qty)) in requested.iter().enumerate() {
            let product = view.product(sku).cloned().ok_or_else(|| {
                AppError::User(
                    DomainError::new(
                        ErrorCode::ProductUnavailable,
                        format!("Vendor {vendor_id} does not offer product {sku}."),
                    )
                    .at(["items", i.to_string().as_str(), "sku"]),
                )
            })?;
            items.push((product, *qty));
        }

        let given = input.customer.clone().unwrap_or_default();
        let snapshot = view.customer.as_ref();
        let details = CustomerDetails {
            customer_id: caller.sub.clone(),
            first_name: clean(&given.first_name)
                .or_else(|| snapshot.and_then(|c| c.first_name.clone()))
                .or_else(|| caller.given_name.clone()),
            last_name: clean(&given.last_name)
                .or_else(|| snapshot.and_then(|c| c.last_name.clone()))
                .or_else(|| caller.family_name.clone()),
            email: clean(&given.email)
                .or_else(|| snapshot.and_then(|c| c.email.clone()))
                .or_else(|| caller.email.clone()),
        };
        let tax = tax_table(view.tenant_config.as_ref());
        let ctx = pricing_context(&vendor, &view, &tax, now);
        // The id's time part comes from the one clock too, so ids sort like `created_at`.
        let ulid = ulid::Ulid::from_datetime(std::time::SystemTime::from(now));
        let order_id = OrderId::new(&format!("ORD-{ulid}")).map_err(AppError::User)?;
        let (order, events) = Order::checkout(
            order_id,
            caller.tenant.clone(),
            details.clone(),
            &vendor,
            &items,
            destination.clone(),
            &ctx,
            now,
        )?;

        let mut commit = OrderCommit::new(order.clone(), None, events);
        commit.draft_ttl = Some(crate::records::draft_ttl(view.tenant_config.as_ref()));
        // A retired customer (deactivated by the customer system) is never refreshed, so never
        // revived, by a checkout; the order still carries the details given.
        let retired = view.customer_stamp.is_some_and(|s| !s.active)
            || snapshot.is_some_and(|c| !c.is_active);
        if !retired && (input.customer.is_some() || snapshot.is_none()) {
            commit.customer = Some(SnapshotRefresh {
                snapshot: Customer {
                    customer_id: caller.sub.clone(),
                    first_name: details.first_name.clone(),
                    last_name: details.last_name.clone(),
                    email: details.email.clone(),
                    is_active: true,
                },
                read: view.customer_stamp,
            });
        }
        // A destination already in the address book (same content, same id) is saved already;
        // one the customer system retired is not revived.
        if let (Some(address_id), Some(address), None, false) =
            (saved_address_id, destination, view.address_stamp, retired)
        {
            commit.address = Some(SnapshotRefresh {
                snapshot: CustomerAddress {
                    customer_id: caller.sub.clone(),
                    address_id,
                    address_type: AddressType::Shipping,
                    address,
                    is_default: false,
                    is_active: true,
                },
                read: None,
            });
        }
        commit.idempotency = idem.map(|key| IdempotencyRecord {
            key,
            input_hash: hash.clone(),
            order_id: order.id.clone(),
            expires_at: now + Duration::hours(IDEMPOTENCY_TTL_HOURS),
            result: Some(order.clone()),
        });
        match self.store.commit(&caller.tenant, commit).await {
            Ok(()) => Ok(Some(OrderOutcome {
                order,
                replayed: false,
            })),
            Err(CommitError::SnapshotChanged) => Ok(None),
            Err(CommitError::IdempotencyKeyTaken) => self
                .replay_after_race(
                    caller,
                    input.idempotency_key.as_deref(),
                    "checkoutItems",
                    &hash,
                )
                .await
                .map(Some),
            Err(e) => Err(commit_error(e, &order)),
        }
    }

    /// Same key + same input → the order of the first request; same key + other input → error.
    pub(crate) async fn replay(
        &self,
        caller: &Caller,
        record: &IdempotencyRecord,
        hash: &str,
    ) -> AppResult<OrderOutcome> {
        if record.input_hash != hash {
            return Err(AppError::User(
                DomainError::new(
                    ErrorCode::IdempotencyKeyReused,
                    "This idempotency key was used with a different input.",
                )
                .at(["idempotencyKey"]),
            ));
        }
        let order = match &record.result {
            // The first answer, exactly (tenant-checked: the record is tenant-keyed anyway).
            Some(first) if first.tenant == caller.tenant && first.id == record.order_id => {
                first.clone()
            }
            _ => self
                .store
                .get_order(&caller.tenant, &record.order_id)
                .await?
                .ok_or_else(|| {
                    AppError::Internal("idempotency record points at a missing order".into())
                })?,
        };
        Ok(OrderOutcome {
            order,
            replayed: true,
        })
    }

    /// A concurrent request with the same key won the commit: answer with its result.
    pub(crate) async fn replay_after_race(
        &self,
        caller: &Caller,
        raw_key: Option<&str>,
        operation: &str,
        hash: &str,
    ) -> AppResult<OrderOutcome> {
        let key = idempotency_key(caller, operation, raw_key)?;
        let request = CatalogRequest {
            idempotency: key,
            ..CatalogRequest::default()
        };
        let view = self.load_catalog(caller, request).await?;
        match &view.idempotency {
            Some(record) => self.replay(caller, record, hash).await,
            None => Err(AppError::User(DomainError::new(
                ErrorCode::IdempotencyKeyReused,
                "Another request with this idempotency key is in progress; retry shortly.",
            ))),
        }
    }
}
