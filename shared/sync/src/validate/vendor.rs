//! `vendor-details` → [`Vendor`].

use oms_domain::address::Country;
use oms_domain::catalog::Vendor;
use oms_domain::ids::VendorId;

use super::fields::{Obj, Res};

pub(super) fn vendor(d: &Obj) -> Res<Vendor> {
    let vendor_id = d.id("vendor_id", VendorId::new)?;
    let name = d.text_within("name", oms_domain::limits::MAX_NAME_CHARS)?;
    let country = Country::parse(&d.text("country")?).map_err(|e| d.domain_err("country", e))?;
    Ok(Vendor {
        vendor_id,
        name,
        country,
        is_active: d.bool_or("is_active", true)?,
    })
}
