//! `vendor-products` → [`Product`].

use std::collections::BTreeMap;

use serde_json::Value;

use oms_domain::catalog::{Package, Product};
use oms_domain::ids::{ProductId, Sku, VendorId};

use oms_domain::limits::{MAX_OPTION_NAME_CHARS as MAX_OPTION_NAME, MAX_OPTION_VALUE_CHARS};

use super::fields::{join, limit_error, Obj, Res};
use crate::validate::fields::err_at;

pub(super) fn product(d: &Obj) -> Res<Product> {
    let product_id = d.id("product_id", ProductId::new)?;
    let vendor_id = d.id("vendor_id", VendorId::new)?;
    let sku = d.id("product_sku", Sku::new)?;
    let name = d.text("product_name")?;
    let category = d.opt_text("product_category")?;
    let options = options(d)?;
    let currency = d.currency("product_currency", None)?;
    let price = d.money("product_price", currency)?;
    let stock = d.int("stock", 0, i64::MAX)?;
    let weight_kg = d.positive("package_weight")?;
    let dimensions_cm = [
        d.u32("package_length", 1)?,
        d.u32("package_width", 1)?,
        d.u32("package_height", 1)?,
    ];
    let product = Product {
        product_id,
        vendor_id,
        sku,
        name,
        category,
        options,
        price,
        stock,
        package: Package {
            weight_kg,
            dimensions_cm,
        },
        is_active: d.bool_or("is_active", true)?,
        is_taxable: d.bool_or("is_taxable", true)?,
    };
    // What an order copies from the product (name, category, options) within the domain's
    // limits (docs/data-model.md "Limits").
    oms_domain::limits::check_product(&product).map_err(limit_error)?;
    Ok(product)
}

/// `options`: a flat object of name → value; numbers and booleans become their text.
fn options(d: &Obj) -> Res<BTreeMap<String, String>> {
    let Some(map) = d.opt_object("options")? else {
        return Ok(BTreeMap::new());
    };
    let base = d.path("options");
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let path = join(&base, key);
        let name = key.trim();
        if name.is_empty() || name.chars().count() > MAX_OPTION_NAME {
            return Err(err_at(
                &path,
                &format!("option names must be 1 to {MAX_OPTION_NAME} characters."),
            ));
        }
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(err_at(&path, "must be a string, number or boolean.")),
        };
        if text.chars().count() > MAX_OPTION_VALUE_CHARS {
            return Err(err_at(
                &path,
                &format!("must be at most {MAX_OPTION_VALUE_CHARS} characters."),
            ));
        }
        out.insert(name.to_string(), text);
    }
    Ok(out)
}
