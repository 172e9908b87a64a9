//! The order lifecycle as data: which transition moves an order from which statuses to which,
//! and in which statuses each edit is allowed. Everything that changes `Order::status` or edits
//! an order asks these tables; `docs/order-lifecycle.md` embeds [`render_markdown`] (a test keeps
//! the two identical).
//!
//! Expiry is no status of its own: a lapsed hold is a `Cancel` with reason `expired`
//! (`commands/expiry.rs`). Room to grow: PARTIALLY_SHIPPED (CONFIRMED → PARTIALLY_SHIPPED →
//! SHIPPED) is one new `OrderStatus` variant, one `Transition` variant and one row; no command
//! code branches on statuses directly.

use serde::{Deserialize, Serialize};

use super::model::OrderStatus::{self, Cancelled, Completed, Confirmed, Draft, Pending, Shipped};
use crate::error::{DomainError, DomainResult, ErrorCode};

/// A status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Transition {
    Place,
    Confirm,
    Ship,
    Complete,
    Cancel,
}

/// The transition table: `(transition, from any of, to)`. The only place statuses change.
pub const TRANSITIONS: &[(Transition, &[OrderStatus], OrderStatus)] = &[
    (Transition::Place, &[Draft], Pending),
    (Transition::Confirm, &[Pending], Confirmed),
    (Transition::Ship, &[Confirmed], Shipped),
    (Transition::Complete, &[Shipped], Completed),
    (Transition::Cancel, &[Pending, Confirmed], Cancelled),
];

impl Transition {
    pub const ALL: [Transition; 5] = [
        Transition::Place,
        Transition::Confirm,
        Transition::Ship,
        Transition::Complete,
        Transition::Cancel,
    ];

    /// The GraphQL mutation that performs it.
    pub fn mutation(&self) -> &'static str {
        match self {
            Transition::Place => "placeOrder",
            Transition::Confirm => "confirmOrder",
            Transition::Ship => "markAsShipped",
            Transition::Complete => "markAsCompleted",
            Transition::Cancel => "cancelOrder",
        }
    }

    /// Who performs it.
    pub fn actor(&self) -> &'static str {
        match self {
            Transition::Place | Transition::Confirm | Transition::Cancel => "customer",
            Transition::Ship | Transition::Complete => "vendor",
        }
    }

    /// The refusal text when the order is in the wrong status (the original's texts).
    pub fn refusal(&self) -> &'static str {
        match self {
            Transition::Place => "Only draft order can be place order.",
            Transition::Confirm => "Only pending orders can be confirmed.",
            Transition::Ship => "Only confirm order can mark as shipped.",
            Transition::Complete => "Only shipped order can mark as completed.",
            Transition::Cancel => "Only pending or confirmed order can be cancelled.",
        }
    }

    fn rule(&self) -> Option<&'static (Transition, &'static [OrderStatus], OrderStatus)> {
        TRANSITIONS.iter().find(|(t, _, _)| t == self)
    }
}

/// The status `transition` leads to from `from`.
///
/// # Errors
/// `INVALID_STATE` naming the current status when the table has no such edge.
pub fn next_status(from: OrderStatus, transition: Transition) -> DomainResult<OrderStatus> {
    match transition.rule() {
        Some((_, sources, to)) if sources.contains(&from) => Ok(*to),
        _ => Err(DomainError::new(
            ErrorCode::InvalidState,
            format!("{} Order is {}.", transition.refusal(), from.as_str()),
        )),
    }
}

/// Whether some transition of the table goes from `from` to `to`.
pub fn is_transition(from: OrderStatus, to: OrderStatus) -> bool {
    TRANSITIONS
        .iter()
        .any(|(_, sources, target)| sources.contains(&from) && *target == to)
}

/// A status no transition leaves.
pub fn is_terminal(status: OrderStatus) -> bool {
    !TRANSITIONS
        .iter()
        .any(|(_, sources, _)| sources.contains(&status))
}

/// A change that keeps the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Edit {
    AddLineItems,
    RemoveLineItems,
    ChangeQuantity,
    ChangeDestination,
    ApplyCoupon,
    RemoveCoupon,
    SelectShippingOption,
    RefreshPrices,
    AddTrackingReference,
    RecordRefund,
}

/// The edit table: `(edit, allowed in)`.
pub const EDITS: &[(Edit, &[OrderStatus])] = &[
    (Edit::AddLineItems, &[Draft]),
    (Edit::RemoveLineItems, &[Draft]),
    (Edit::ChangeQuantity, &[Draft]),
    (Edit::ChangeDestination, &[Draft]),
    (Edit::ApplyCoupon, &[Draft]),
    (Edit::RemoveCoupon, &[Draft]),
    (Edit::SelectShippingOption, &[Draft]),
    (Edit::RefreshPrices, &[Draft]),
    (Edit::AddTrackingReference, &[Shipped]),
    (
        Edit::RecordRefund,
        &[Confirmed, Shipped, Completed, Cancelled],
    ),
];

impl Edit {
    pub const ALL: [Edit; 10] = [
        Edit::AddLineItems,
        Edit::RemoveLineItems,
        Edit::ChangeQuantity,
        Edit::ChangeDestination,
        Edit::ApplyCoupon,
        Edit::RemoveCoupon,
        Edit::SelectShippingOption,
        Edit::RefreshPrices,
        Edit::AddTrackingReference,
        Edit::RecordRefund,
    ];

    /// What triggers it (a GraphQL mutation, or another source).
    pub fn trigger(&self) -> &'static str {
        match self {
            Edit::AddLineItems => "`addLineItems`",
            Edit::RemoveLineItems => "`removeLineItems`",
            Edit::ChangeQuantity => "`changeOrderQuantity`",
            Edit::ChangeDestination => "`changeDestination`",
            Edit::ApplyCoupon => "`addCoupon`",
            Edit::RemoveCoupon => "`removeCoupon`",
            Edit::SelectShippingOption => "`selectShippingOption`",
            Edit::RefreshPrices => "`placeOrder` (before repricing)",
            Edit::AddTrackingReference => "`addShippingTrackingReference`",
            Edit::RecordRefund => "`payment.refunded` webhook",
        }
    }

    /// The refusal text when the order is in the wrong status (the original's texts where it had one).
    pub fn refusal(&self) -> &'static str {
        match self {
            Edit::AddLineItems => "Only draft order can add line item.",
            Edit::RemoveLineItems => "Only draft order can remove line items.",
            Edit::ChangeQuantity => "Only draft order can update order quantity.",
            Edit::ChangeDestination => "Only draft order can change destination.",
            Edit::ApplyCoupon => "Only draft order can apply coupon.",
            Edit::RemoveCoupon => "Only draft order can remove coupon.",
            Edit::SelectShippingOption => "Only draft order can select shipping option.",
            Edit::RefreshPrices => "Only draft order can refresh prices.",
            Edit::AddTrackingReference => "Only shipped order can add tracking reference.",
            Edit::RecordRefund => {
                "Only confirmed, shipped, completed or cancelled order can record a refund."
            }
        }
    }

    /// Statuses the table allows the edit in.
    pub fn allowed_in(&self) -> &'static [OrderStatus] {
        EDITS
            .iter()
            .find(|(e, _)| e == self)
            .map_or(&[], |(_, statuses)| *statuses)
    }
}

/// # Errors
/// `INVALID_STATE` with the edit's refusal text when the table does not allow `edit` in `status`.
pub fn ensure_edit_allowed(status: OrderStatus, edit: Edit) -> DomainResult<()> {
    if edit.allowed_in().contains(&status) {
        Ok(())
    } else {
        Err(DomainError::new(ErrorCode::InvalidState, edit.refusal()))
    }
}

fn statuses(list: &[OrderStatus], separator: &str) -> String {
    list.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(separator)
}

/// Both tables as Markdown (embedded verbatim in `docs/order-lifecycle.md`).
pub fn render_markdown() -> String {
    let mut md = String::from(
        "| Transition | Mutation | By | From | To | Wrong status (INVALID_STATE) |\n|---|---|---|---|---|---|\n",
    );
    for (t, from, to) in TRANSITIONS {
        md.push_str(&format!(
            "| {t:?} | `{}` | {} | {} | {} | \"{} Order is <STATUS>.\" |\n",
            t.mutation(),
            t.actor(),
            statuses(from, " or "),
            to.as_str(),
            t.refusal()
        ));
    }
    let terminal: Vec<OrderStatus> = OrderStatus::ALL
        .into_iter()
        .filter(|s| is_terminal(*s))
        .collect();
    md.push_str(&format!(
        "\nTerminal statuses (no transition leaves them): {}.\n",
        statuses(&terminal, " and ")
    ));
    md.push_str(
        "\n| Edit | Triggered by | Allowed in | Otherwise (INVALID_STATE) |\n|---|---|---|---|\n",
    );
    for (e, allowed) in EDITS {
        md.push_str(&format!(
            "| {e:?} | {} | {} | \"{}\" |\n",
            e.trigger(),
            statuses(allowed, ", "),
            e.refusal()
        ));
    }
    md
}
