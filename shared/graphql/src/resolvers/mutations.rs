//! Mutation resolvers. Each takes one `input` and answers a payload: business failures are
//! `userErrors` (field paths prefixed with "input"), FORBIDDEN and INTERNAL are top-level.

use async_graphql::{Context, Object, Result};
use oms_application::caller::Caller;
use oms_application::error::AppResult;
use oms_application::usecases::{
    CheckoutInput, DestinationChoice, DraftChange, Fulfilment, OrderOutcome,
};
use oms_application::Oms;

use crate::error::{caller, mutation_failure, oms};
use crate::types::inputs::{
    items, AddCouponInput, AddLineItemsInput, AddShippingTrackingReferenceInput, CancelOrderInput,
    ChangeDestinationInput, ChangeOrderQuantityInput, CheckoutItemsInput, ConfirmOrderInput,
    MarkAsCompletedInput, MarkAsShippedInput, PlaceOrderInput, RemoveCouponInput,
    RemoveLineItemsInput, SelectShippingOptionInput, SyncUserInput,
};
use crate::types::{OrderPayload, SyncUserPayload, User, UserError};

fn payload(caller: &Caller, result: AppResult<OrderOutcome>) -> Result<OrderPayload> {
    match result {
        Ok(outcome) => Ok(OrderPayload::ok(outcome.order)),
        Err(e) => mutation_failure(caller, e).map(OrderPayload::failed),
    }
}

fn context<'a>(ctx: &Context<'a>) -> Result<(&'a Caller, &'a Oms)> {
    let caller = caller(ctx)?;
    Ok((caller, oms(ctx, caller)?))
}

async fn draft(
    ctx: &Context<'_>,
    order_id: &str,
    expected_version: Option<i64>,
    change: DraftChange,
) -> Result<OrderPayload> {
    let (caller, oms) = context(ctx)?;
    payload(
        caller,
        oms.change_draft(caller, order_id, expected_version, change)
            .await,
    )
}

/// The destination a `changeDestination` input names: exactly one of `addressId` or `destination`.
fn destination_choice(input: &ChangeDestinationInput) -> Result<DestinationChoice, UserError> {
    let save = input.save_destination.unwrap_or(false);
    match (&input.address_id, &input.destination) {
        (Some(id), None) if !save => Ok(DestinationChoice::AddressBook(id.to_string())),
        (Some(_), None) => Err(UserError::invalid_input(
            &["input", "saveDestination"],
            "saveDestination needs a destination; an address-book entry is already saved.",
        )),
        (None, Some(address)) => Ok(DestinationChoice::New {
            address: address.clone().into(),
            save,
        }),
        _ => Err(UserError::invalid_input(
            &["input"],
            "Give exactly one of addressId or destination.",
        )),
    }
}

/// Checkout and order changes of the customer (group checkout).
#[derive(Default)]
pub struct CheckoutMutation;

#[Object]
impl CheckoutMutation {
    /// Creates a DRAFT order of one vendor's products.
    async fn checkout_items(
        &self,
        ctx: &Context<'_>,
        input: CheckoutItemsInput,
    ) -> Result<OrderPayload> {
        let (caller, oms) = context(ctx)?;
        let input = CheckoutInput {
            vendor_id: input.vendor_id.to_string(),
            items: items(input.items),
            customer: input.customer.map(Into::into),
            destination: input.destination.map(Into::into),
            save_destination: input.save_destination.unwrap_or(false),
            idempotency_key: input.idempotency_key,
        };
        payload(caller, oms.checkout_items(caller, input).await)
    }

    async fn add_line_items(
        &self,
        ctx: &Context<'_>,
        input: AddLineItemsInput,
    ) -> Result<OrderPayload> {
        draft(
            ctx,
            &input.order_id,
            input.expected_version,
            DraftChange::AddLineItems(items(input.items)),
        )
        .await
    }

    async fn remove_line_items(
        &self,
        ctx: &Context<'_>,
        input: RemoveLineItemsInput,
    ) -> Result<OrderPayload> {
        draft(
            ctx,
            &input.order_id,
            input.expected_version,
            DraftChange::RemoveLineItems(input.skus),
        )
        .await
    }

    async fn change_order_quantity(
        &self,
        ctx: &Context<'_>,
        input: ChangeOrderQuantityInput,
    ) -> Result<OrderPayload> {
        let change = DraftChange::ChangeQuantity {
            sku: input.sku,
            quantity: input.quantity,
        };
        draft(ctx, &input.order_id, input.expected_version, change).await
    }

    /// Exactly one of addressId or destination; otherwise INVALID_INPUT at ["input"].
    async fn change_destination(
        &self,
        ctx: &Context<'_>,
        input: ChangeDestinationInput,
    ) -> Result<OrderPayload> {
        // Authentication comes before input checks.
        context(ctx)?;
        match destination_choice(&input) {
            Ok(choice) => {
                draft(
                    ctx,
                    &input.order_id,
                    input.expected_version,
                    DraftChange::ChangeDestination(choice),
                )
                .await
            }
            Err(e) => Ok(OrderPayload::failed(vec![e])),
        }
    }

    async fn add_coupon(&self, ctx: &Context<'_>, input: AddCouponInput) -> Result<OrderPayload> {
        draft(
            ctx,
            &input.order_id,
            input.expected_version,
            DraftChange::AddCoupon(input.code),
        )
        .await
    }

    async fn remove_coupon(
        &self,
        ctx: &Context<'_>,
        input: RemoveCouponInput,
    ) -> Result<OrderPayload> {
        draft(
            ctx,
            &input.order_id,
            input.expected_version,
            DraftChange::RemoveCoupon(input.code),
        )
        .await
    }

    async fn select_shipping_option(
        &self,
        ctx: &Context<'_>,
        input: SelectShippingOptionInput,
    ) -> Result<OrderPayload> {
        let change = DraftChange::SelectShippingOption(input.method.into());
        draft(ctx, &input.order_id, input.expected_version, change).await
    }

    /// DRAFT → PENDING: reserves stock and coupon uses in one transaction.
    async fn place_order(&self, ctx: &Context<'_>, input: PlaceOrderInput) -> Result<OrderPayload> {
        let (caller, oms) = context(ctx)?;
        let result = oms
            .place_order(
                caller,
                &input.order_id,
                input.expected_version,
                input.idempotency_key.as_deref(),
            )
            .await;
        payload(caller, result)
    }

    /// PENDING → CONFIRMED with a verified payment (or cash on delivery).
    async fn confirm_order(
        &self,
        ctx: &Context<'_>,
        input: ConfirmOrderInput,
    ) -> Result<OrderPayload> {
        let (caller, oms) = context(ctx)?;
        let result = oms
            .confirm_order(
                caller,
                &input.order_id,
                input.payment_method.into(),
                input.transaction_id.as_deref(),
            )
            .await;
        payload(caller, result)
    }

    /// PENDING/CONFIRMED → CANCELLED; gives back stock and coupon uses.
    async fn cancel_order(
        &self,
        ctx: &Context<'_>,
        input: CancelOrderInput,
    ) -> Result<OrderPayload> {
        let (caller, oms) = context(ctx)?;
        payload(
            caller,
            oms.cancel_order(caller, &input.order_id, &input.reason)
                .await,
        )
    }
}

/// Fulfilment steps of the vendor (group vendor).
#[derive(Default)]
pub struct VendorMutation;

#[Object]
impl VendorMutation {
    /// CONFIRMED → SHIPPED.
    async fn mark_as_shipped(
        &self,
        ctx: &Context<'_>,
        input: MarkAsShippedInput,
    ) -> Result<OrderPayload> {
        let (caller, oms) = context(ctx)?;
        payload(
            caller,
            oms.fulfil(caller, &input.order_id, Fulfilment::MarkAsShipped)
                .await,
        )
    }

    async fn add_shipping_tracking_reference(
        &self,
        ctx: &Context<'_>,
        input: AddShippingTrackingReferenceInput,
    ) -> Result<OrderPayload> {
        let (caller, oms) = context(ctx)?;
        let step = Fulfilment::AddTrackingReference(input.tracking_reference);
        payload(caller, oms.fulfil(caller, &input.order_id, step).await)
    }

    /// SHIPPED → COMPLETED.
    async fn mark_as_completed(
        &self,
        ctx: &Context<'_>,
        input: MarkAsCompletedInput,
    ) -> Result<OrderPayload> {
        let (caller, oms) = context(ctx)?;
        payload(
            caller,
            oms.fulfil(caller, &input.order_id, Fulfilment::MarkAsCompleted)
                .await,
        )
    }
}

/// `syncUser` (group account).
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates or refreshes the caller's customer/authorization snapshots from the verified token.
    async fn sync_user(
        &self,
        ctx: &Context<'_>,
        input: Option<SyncUserInput>,
    ) -> Result<SyncUserPayload> {
        let (caller, oms) = context(ctx)?;
        match oms
            .sync_user(caller, input.unwrap_or_default().into())
            .await
        {
            Ok(principal) => Ok(SyncUserPayload {
                user: Some(User::new(caller, &principal)),
                user_errors: vec![],
            }),
            Err(e) => mutation_failure(caller, e).map(|user_errors| SyncUserPayload {
                user: None,
                user_errors,
            }),
        }
    }
}
