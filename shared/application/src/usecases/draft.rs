//! Changes to a DRAFT order (the cart): lines, quantity, destination, coupons, shipping.
//! Each reads in two round trips (order, then the vendor's snapshots) and commits once,
//! conditional on the version it read.

use oms_domain::catalog::{Product, ShippingMethod};
use oms_domain::ids::{AddressId, CouponCode, Sku};
use oms_domain::order::{Order, OrderEvent, MAX_LINE_ITEMS};
use oms_domain::{DomainError, ErrorCode};

use super::checkout::{address_id_for, invalid, parse_address, AddressInput, ItemInput};
use super::support::{active_vendor, commit_error, pricing_context, tax_table, OrderOutcome, Side};
use super::Oms;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::ports::{CatalogRequest, CommitError, OrderCommit, SnapshotRefresh};
use oms_domain::catalog::{AddressType, CustomerAddress};

/// Where changeDestination sends the order: exactly one of an address-book entry or a new address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationChoice {
    AddressBook(String),
    New { address: AddressInput, save: bool },
}

/// One DRAFT change (the GraphQL mutation's input, minus orderId/expectedVersion).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftChange {
    AddLineItems(Vec<ItemInput>),
    RemoveLineItems(Vec<String>),
    ChangeQuantity { sku: String, quantity: i64 },
    ChangeDestination(DestinationChoice),
    AddCoupon(String),
    RemoveCoupon(String),
    SelectShippingOption(ShippingMethod),
}

/// The change with its inputs validated (before anything is read).
enum Parsed {
    Add(Vec<(Sku, u32)>),
    Remove(Vec<Sku>),
    Quantity(Sku, u32),
    DestinationFromBook(AddressId),
    NewDestination(oms_domain::address::Address, bool),
    AddCoupon(CouponCode),
    RemoveCoupon(CouponCode),
    Ship(ShippingMethod),
}

fn parse_quantity(q: i64, path: &[&str]) -> Result<u32, DomainError> {
    u32::try_from(q).ok().filter(|q| *q > 0).ok_or_else(|| {
        invalid("Order quantity must be greater than zero.").at(path.iter().copied())
    })
}

fn parse(change: &DraftChange) -> Result<Parsed, DomainError> {
    Ok(match change {
        DraftChange::AddLineItems(items) => {
            if items.is_empty() {
                return Err(invalid("At least one item is required.").at(["items"]));
            }
            if items.len() > MAX_LINE_ITEMS {
                return Err(invalid(format!(
                    "An order can hold at most {MAX_LINE_ITEMS} line items; {} were given.",
                    items.len()
                ))
                .at(["items"]));
            }
            let mut parsed = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let idx = i.to_string();
                let sku = Sku::new(&item.sku).map_err(|e| e.at(["items", idx.as_str(), "sku"]))?;
                parsed.push((
                    sku,
                    parse_quantity(item.quantity, &["items", idx.as_str(), "quantity"])?,
                ));
            }
            Parsed::Add(parsed)
        }
        DraftChange::RemoveLineItems(skus) => {
            let mut parsed = Vec::with_capacity(skus.len());
            for (i, s) in skus.iter().enumerate() {
                parsed.push(Sku::new(s).map_err(|e| e.at(["skus", i.to_string().as_str()]))?);
            }
            Parsed::Remove(parsed)
        }
        DraftChange::ChangeQuantity { sku, quantity } => Parsed::Quantity(
            Sku::new(sku).map_err(|e| e.at(["sku"]))?,
            parse_quantity(*quantity, &["quantity"])?,
        ),
        DraftChange::ChangeDestination(DestinationChoice::AddressBook(id)) => {
            Parsed::DestinationFromBook(AddressId::new(id).map_err(|e| e.at(["addressId"]))?)
        }
        DraftChange::ChangeDestination(DestinationChoice::New { address, save }) => {
            Parsed::NewDestination(parse_address(address, "destination")?, *save)
        }
        DraftChange::AddCoupon(code) => {
            Parsed::AddCoupon(CouponCode::new(code).map_err(|e| e.at(["code"]))?)
        }
        DraftChange::RemoveCoupon(code) => {
            Parsed::RemoveCoupon(CouponCode::new(code).map_err(|e| e.at(["code"]))?)
        }
        DraftChange::SelectShippingOption(method) => Parsed::Ship(*method),
    })
}

impl Oms {
    /// Applies one change to a DRAFT order the caller owns. A destination saved to the address
    /// book whose entry changed between the read and the commit is read again (at most
    /// `SNAPSHOT_ATTEMPTS` times, then TRY_AGAIN), like checkout.
    pub async fn change_draft(
        &self,
        caller: &Caller,
        order_id: &str,
        expected_version: Option<i64>,
        change: DraftChange,
    ) -> AppResult<OrderOutcome> {
        for _ in 0..super::checkout::SNAPSHOT_ATTEMPTS {
            if let Some(outcome) = self
                .change_draft_once(caller, order_id, expected_version, &change)
                .await?
            {
                return Ok(outcome);
            }
        }
        Err(AppError::User(crate::error::try_again(
            crate::ports::Contention::Conflict,
        )))
    }

    /// One draft change; `None` when the saved address's entry changed since it was read.
    async fn change_draft_once(
        &self,
        caller: &Caller,
        order_id: &str,
        expected_version: Option<i64>,
        change: &DraftChange,
    ) -> AppResult<Option<OrderOutcome>> {
        let now = self.clock.now();
        let parsed = parse(change)?;
        let expected = expected_version
            .map(|v| {
                u64::try_from(v).map_err(|_| {
                    AppError::User(
                        invalid("expectedVersion must not be negative.").at(["expectedVersion"]),
                    )
                })
            })
            .transpose()?;
        let (mut order, load, _principal) = self
            .load_visible(caller, order_id, Side::Customer, None, None)
            .await?;
        order.check_version(expected)?;

        let mut skus: Vec<Sku> = order.all_lines().map(|l| l.sku.clone()).collect();
        let mut codes: Vec<CouponCode> = order.coupons.iter().map(|c| c.code.clone()).collect();
        let mut address_id = None;
        match &parsed {
            Parsed::Add(items) => skus.extend(items.iter().map(|(s, _)| s.clone())),
            Parsed::AddCoupon(code) => codes.push(code.clone()),
            Parsed::DestinationFromBook(id) => address_id = Some(id.clone()),
            // The entry a saved destination would be, read so that saving is conditional on it.
            Parsed::NewDestination(address, true) => address_id = Some(address_id_for(address)?),
            _ => {}
        }
        skus.sort();
        skus.dedup();
        codes.sort();
        codes.dedup();
        let request = CatalogRequest {
            vendor_id: Some(order.vendor.vendor_id.clone()),
            skus,
            coupon_codes: codes,
            customer_id: Some(caller.sub.clone()),
            address_id,
            ..CatalogRequest::default()
        };
        let view = self.load_catalog(caller, request).await?;
        let vendor = active_vendor(&view, &order)?;
        let tax = tax_table(load.tenant_config.as_ref());
        let ctx = pricing_context(&vendor, &view, &tax, now);

        let read_version = order.version;
        let mut saved_address: Option<SnapshotRefresh<CustomerAddress>> = None;
        let events: Vec<OrderEvent> = match parsed {
            Parsed::Add(items) => {
                let mut with_products: Vec<(Product, u32)> = Vec::with_capacity(items.len());
                for (i, (sku, qty)) in items.into_iter().enumerate() {
                    let product = view.product(&sku).cloned().ok_or_else(|| {
                        AppError::User(
                            DomainError::new(
                                ErrorCode::ProductUnavailable,
                                format!(
                                    "Vendor {} does not offer product {sku}.",
                                    order.vendor.vendor_id
                                ),
                            )
                            .at([
                                "items",
                                i.to_string().as_str(),
                                "sku",
                            ]),
                        )
                    })?;
                    with_products.push((product, qty));
                }
                order.add_line_items(&with_products, &ctx, now)?
            }
            Parsed::Remove(skus) => order.remove_line_items(&skus, &ctx, now)?,
            Parsed::Quantity(sku, qty) => {
                if !order.line_items.iter().any(|l| l.sku == sku) {
                    return Err(AppError::User(
                        DomainError::new(
                            ErrorCode::NotFound,
                            format!("Product w Sku {sku} not found in the order."),
                        )
                        .at(["sku"]),
                    ));
                }
                let product = view.product(&sku).cloned().ok_or_else(|| {
                    AppError::User(
                        DomainError::new(
                            ErrorCode::ProductUnavailable,
                            format!("Product {sku} is no longer available."),
                        )
                        .at(["sku"]),
                    )
                })?;
                order.change_quantity(&sku, qty, &product, &ctx, now)?
            }
            Parsed::DestinationFromBook(id) => {
                let entry = view.address.clone().ok_or_else(|| {
                    AppError::User(
                        DomainError::new(ErrorCode::NotFound, format!("Address {id} not found."))
                            .at(["addressId"]),
                    )
                })?;
                order.change_destination(entry.destination()?.clone(), &ctx, now)?
            }
            Parsed::NewDestination(address, save) => {
                // Saved unless already in the address book (same content, same id) or retired
                // there by the customer system (never revived); the customer retired: not saved.
                let retired_customer = view.customer_stamp.is_some_and(|s| !s.active)
                    || view.customer.as_ref().is_some_and(|c| !c.is_active);
                if save && view.address_stamp.is_none() && !retired_customer {
                    saved_address = Some(SnapshotRefresh {
                        snapshot: CustomerAddress {
                            customer_id: caller.sub.clone(),
                            address_id: address_id_for(&address)?,
                            address_type: AddressType::Shipping,
                            address: address.clone(),
                            is_default: false,
                            is_active: true,
                        },
                        read: None,
                    });
                }
                order.change_destination(address, &ctx, now)?
            }
            Parsed::AddCoupon(code) => {
                let coupon = view.coupon(&code);
                order.add_coupon(&code, coupon, view.usage(&code), &ctx, now)?
            }
            Parsed::RemoveCoupon(code) => order.remove_coupon(&code, &ctx, now)?,
            Parsed::Ship(method) => order.select_shipping_option(method, &ctx, now)?,
        };
        let mut commit = OrderCommit::new(order.clone(), Some(read_version), events);
        commit.address = saved_address;
        commit.draft_ttl = Some(crate::records::draft_ttl(load.tenant_config.as_ref()));
        match self.store.commit(&caller.tenant, commit).await {
            Ok(()) => Ok(Some(OrderOutcome {
                order,
                replayed: false,
            })),
            Err(CommitError::SnapshotChanged) => Ok(None),
            Err(e) => Err(commit_error(e, &order)),
        }
    }

    /// Shipping options the caller's DRAFT order is eligible for now (two reads, no write).
    pub async fn list_shipping_options(
        &self,
        caller: &Caller,
        order_id: &str,
    ) -> AppResult<Vec<oms_domain::pricing::ShippingQuote>> {
        let now = self.clock.now();
        let (order, load, _) = self
            .load_visible(caller, order_id, Side::Customer, None, None)
            .await?;
        if order.status != oms_domain::order::OrderStatus::Draft {
            return Err(AppError::User(DomainError::new(
                ErrorCode::InvalidState,
                format!(
                    "Order {} is {} and keeps its shipping option.",
                    order.id,
                    order.status.as_str()
                ),
            )));
        }
        let request = CatalogRequest {
            vendor_id: Some(order.vendor.vendor_id.clone()),
            coupon_codes: order.coupons.iter().map(|c| c.code.clone()).collect(),
            ..CatalogRequest::default()
        };
        let view = self.load_catalog(caller, request).await?;
        let vendor = active_vendor(&view, &order)?;
        let tax = tax_table(load.tenant_config.as_ref());
        let ctx = pricing_context(&vendor, &view, &tax, now);
        Ok(Order::list_shipping_options(&order, &ctx)?)
    }
}
