//! `customer-details` → [`Customer`] and `customer-addresses` → [`CustomerAddress`].

use serde_json::Value;

use oms_domain::address::Address;
use oms_domain::catalog::{AddressType, Customer, CustomerAddress};
use oms_domain::ids::{AddressId, CustomerId};

use super::fields::{Obj, Res};

use oms_domain::limits::{MAX_EMAIL_CHARS as MAX_EMAIL, MAX_PERSON_NAME_CHARS};

pub(super) fn customer(d: &Obj) -> Res<Customer> {
    let customer_id = d.id("customer_id", CustomerId::new)?;
    let first_name = d.opt_text_within("first_name", MAX_PERSON_NAME_CHARS)?;
    let last_name = d.opt_text_within("last_name", MAX_PERSON_NAME_CHARS)?;
    let email = match d.opt_text("email")? {
        Some(e) if !plausible_email(&e) => return Err(d.err("email", "must be an e-mail address.")),
        other => other,
    };
    Ok(Customer {
        customer_id,
        first_name,
        last_name,
        email,
        is_active: d.bool_or("is_active", true)?,
    })
}

/// One `@` with text on both sides, a dot in the domain, no whitespace.
fn plausible_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            e.len() <= MAX_EMAIL
                && !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

pub(super) fn customer_address(d: &Obj) -> Res<CustomerAddress> {
    let customer_id = d.id("customer_id", CustomerId::new)?;
    let address_id = d.id("address_id", AddressId::new)?;
    let address_type = address_type(d)?;
    let street = d.text("street")?;
    let city = d.text("city")?;
    let state = d.opt_text("state")?;
    let postal = postal(d)?;
    let country = d.text("country")?;
    let address =
        Address::new(&street, &city, state.as_deref(), &postal, &country).map_err(|e| {
            let field = e
                .field
                .as_ref()
                .and_then(|f| f.first())
                .cloned()
                .unwrap_or_else(|| "street".into());
            d.domain_err(&field, e)
        })?;
    Ok(CustomerAddress {
        customer_id,
        address_id,
        address_type,
        address,
        is_default: d.bool_or("is_default", false)?,
        is_active: d.bool_or("is_active", true)?,
    })
}

/// `shipping` (the default) or `billing`, any case. Both are stored with their type; only
/// shipping addresses are listed and accepted as an order's destination.
fn address_type(d: &Obj) -> Res<AddressType> {
    match d
        .opt_text("address_type")?
        .map(|t| t.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("shipping") => Ok(AddressType::Shipping),
        Some("billing") => Ok(AddressType::Billing),
        Some(_) => Err(d.err("address_type", "must be shipping or billing.")),
    }
}

/// Postal codes are strings ("01234" keeps its zero); a JSON integer is accepted and turned into
/// its digits.
fn postal(d: &Obj) -> Res<String> {
    match d.get("postal") {
        Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
        Some(Value::Number(_)) => Err(d.err("postal", "must be a string (or a whole number ≥ 0).")),
        _ => d.text("postal"),
    }
}
