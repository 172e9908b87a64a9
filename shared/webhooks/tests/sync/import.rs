//! `import_csv`: every kind with good and bad rows, dry run, idempotent re-import, streaming.

use std::time::Instant;

use oms_domain::catalog::AddressType;
use oms_domain::ids::CustomerId;
use oms_sync::{Kind, SyncErrorCode};
use oms_webhooks::{
    import_csv, write_error_report_csv, ImportError, ImportOptions, ImportProgress, ImportReport,
};

use crate::common::generated::GeneratedProducts;
use crate::common::*;

const VERSION: u64 = 1_764_064_800_000;

fn options(dry_run: bool) -> ImportOptions {
    ImportOptions {
        dry_run,
        default_version: VERSION,
        imported_at: imported_at(VERSION),
        rows_in_flight: oms_webhooks::IMPORT_CONCURRENCY,
    }
}

/// The import time a run with `version` as its default version stands for.
fn imported_at(version: u64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(i64::try_from(version).unwrap_or(0)).unwrap_or_default()
}

async fn run(
    h: &Harness,
    t: &str,
    kind: Kind,
    csv: &str,
    opts: ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut last = ImportProgress::default();
    let result = import_csv(
        h.store.as_ref(),
        &tenant(t),
        kind,
        csv.as_bytes(),
        opts,
        &mut |p| last = p,
    )
    .await;
    if let Ok(report) = &result {
        assert!(last.done, "the last progress callback says done");
        assert_eq!(last.bytes_read, csv.len() as u64, "the whole file was read");
        assert_eq!(
            (last.rows, last.applied, last.stale, last.invalid),
            (report.rows, report.applied, report.stale, report.invalid)
        );
    }
    result
}

fn lines_and_columns(report: &ImportReport) -> Vec<(u64, Option<&str>)> {
    report
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_deref()))
        .collect()
}

/// (kind, file, valid rows, expected (line, column) of the bad rows)
type KindFile = (Kind, &'static str, u64, Vec<(u64, Option<&'static str>)>);

fn files() -> Vec<KindFile> {
    vec![
        (
            Kind::VendorProducts,
            "product_id,vendor_id,product_sku,product_name,product_price,product_currency,stock,package_weight,package_length,package_width,package_height\n\
             p-1,v-1,SKU-1,\"Shirt, large\",10.00,SGD,5,0.5,10,10,1\n\
             p-2,v-1,SKU-2,Hat,abc,SGD,5,0.5,10,10,1\n\
             \n\
             p-3,v-1,SKU-3,Scarf,3.00,SGD,1,0.2,5,5,5\n\
             p-4,v-1,SKU-4,Sock,1.00,SGD,-2,0.1,5,5,5\n",
            2,
            vec![(3, Some("product_price")), (6, Some("stock"))],
        ),
        (
            Kind::VendorDetails,
            "vendor_id,name,country\r\nv-1,Vendor One,Singapore\r\nv-2,,SG\r\nv-3,Three,Atlantis\r\n",
            1,
            vec![(3, Some("name")), (4, Some("country"))],
        ),
        (
            Kind::VendorCoupons,
            "vendor_id,coupon_code,offer_id,start_date,end_date,is_active\n\
             v-1,welcome10,o-1,2026-01-01T00:00:00Z,2026-12-31T23:59:59Z,true\n\
             v-1,BAD1,o-1,yesterday,,true\n\
             v-1,SUMMER,o-2,,,no\n",
            2,
            vec![(3, Some("start_date"))],
        ),
        (
            Kind::VendorOffers,
            "vendor_id,offer_id,name,offer_type,discount_value,conditions,is_active\n\
             v-1,o-1,10% off,percentage_discount,10,\"{\"\"minimum_subtotal\"\":\"\"20.00\"\"}\",true\n\
             v-1,o-2,Too much,percentage_discount,150,,true\n\
             v-1,o-3,Typo,percentage_discount,10,\"{\"\"minimum_subtotl\"\":1}\",true\n\
             v-1,o-4,Five off,fixed_discount,5,,true\n",
            2,
            vec![(3, Some("discount_value")), (4, Some("conditions"))],
        ),
        (
            Kind::VendorShippingOptions,
            "vendor_id,name,delivery_time,base_cost,conditions,is_active\n\
             v-1,Standard,2-3 Days,5.00,\"{\"\"max_weight\"\":30}\",true\n\
             v-1,Teleport,now,1.00,,true\n\
             v-1,Express,1 Day,8.00,\"{\"\"max_weight\"\":30}\",true\n",
            1,
            vec![(3, Some("name")), (4, Some("conditions"))],
        ),
        (
            Kind::CustomerDetails,
            "\u{feff}customer_id,first_name,last_name,email\nc-1,Ada,Lovelace,ada@example.com\nc-2,Bad,Email,not-an-email\n",
            1,
            vec![(3, Some("email"))],
        ),
        (
            Kind::CustomerAddresses,
            "customer_id,address_id,address_type,street,city,postal,country\n\
             c-1,home,shipping,\"1 Raffles Place, #20-01\",Singapore,048616,SG\n\
             c-1,bill,billing,1 Raffles Place,Singapore,048616,SG\n\
             c-1,cottage,holiday,3 Raffles Place,Singapore,048618,SG\n\
             c-1,work,shipping,2 Raffles Place,Singapore,048617,Narnia\n",
            2,
            vec![(4, Some("address_type")), (5, Some("country"))],
        ),
    ]
}

#[tokio::test]
async fn every_kind_imports_good_rows_and_reports_bad_ones_by_line_and_column() {
    let h = Harness::new().await;
    for (kind, csv, valid, bad) in files() {
        let report = run(&h, "t1", kind, csv, options(false)).await.unwrap();
        assert_eq!(report.applied, valid, "{kind}: {report:?}");
        assert_eq!(report.stale, 0, "{kind}");
        assert_eq!(report.invalid, bad.len() as u64, "{kind}");
        assert_eq!(report.rows, valid + bad.len() as u64, "{kind}");
        assert_eq!(
            lines_and_columns(&report),
            bad,
            "{kind}: {:?}",
            report.errors
        );
        assert!(report
            .errors
            .iter()
            .all(|e| e.code == SyncErrorCode::InvalidPayload && !e.message.is_empty()));
        assert_eq!(report.all_rows_valid(), bad.is_empty());
    }
    let view = h
        .catalog("t1", "v-1", &["SKU-1", "SKU-3"], &["WELCOME10", "SUMMER"])
        .await;
    assert_eq!(view.products.len(), 2);
    assert_eq!(view.vendor.map(|v| v.name), Some("Vendor One".into()));
    assert_eq!(view.coupons.len(), 2);
    assert_eq!(view.offers.len(), 2);
    assert_eq!(view.shipping_options.len(), 1);
    let c1 = CustomerId::new("c-1").unwrap();
    assert!(h
        .store
        .get_customer(&tenant("t1"), &c1)
        .await
        .unwrap()
        .is_some());
    let addresses = h
        .store
        .list_customer_addresses(&tenant("t1"), &c1)
        .await
        .unwrap();
    // The billing row is stored with its type, next to the shipping address.
    let kinds: Vec<(&str, AddressType, &str)> = addresses
        .iter()
        .map(|a| {
            (
                a.address_id.as_str(),
                a.address_type,
                a.address.postal.as_str(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("bill", AddressType::Billing, "048616"),
            ("home", AddressType::Shipping, "048616")
        ]
    );
    // Nothing reached another tenant.
    assert!(h
        .catalog("t2", "v-1", &["SKU-1"], &[])
        .await
        .products
        .is_empty());
}

#[tokio::test]
async fn a_dry_run_validates_everything_and_writes_nothing() {
    let h = Harness::new().await;
    let writes = h.writes();
    for (kind, csv, valid, bad) in files() {
        let report = run(&h, "t1", kind, csv, options(true)).await.unwrap();
        assert_eq!(
            (report.valid(), report.applied, report.stale),
            (valid, 0, 0),
            "{kind}"
        );
        assert_eq!(lines_and_columns(&report), bad, "{kind}");
    }
    assert_eq!(h.writes(), writes);
    assert!(h
        .catalog("t1", "v-1", &["SKU-1"], &[])
        .await
        .products
        .is_empty());
}

#[tokio::test]
async fn re_importing_the_same_file_changes_nothing() {
    let h = Harness::new().await;
    for (kind, csv, valid, _) in files() {
        run(&h, "t1", kind, csv, options(false)).await.unwrap();
        let before = h
            .catalog("t1", "v-1", &["SKU-1", "SKU-3"], &["WELCOME10", "SUMMER"])
            .await;
        let again = run(&h, "t1", kind, csv, options(false)).await.unwrap();
        assert_eq!((again.applied, again.stale), (0, valid), "{kind}");
        let after = h
            .catalog("t1", "v-1", &["SKU-1", "SKU-3"], &["WELCOME10", "SUMMER"])
            .await;
        assert_eq!(format!("{before:?}"), format!("{after:?}"), "{kind}");
    }
    // With a later default version (a later import run) the same content is written again.
    let (kind, csv, valid, _) = files().remove(0);
    let later = ImportOptions {
        dry_run: false,
        default_version: VERSION + 1,
        imported_at: imported_at(VERSION + 1),
        rows_in_flight: oms_webhooks::IMPORT_CONCURRENCY,
    };
    assert_eq!(
        run(&h, "t1", kind, csv, later).await.unwrap().applied,
        valid
    );
}

#[tokio::test]
async fn rows_for_one_item_keep_file_order_and_a_version_column_wins() {
    // Whatever the number of rows in flight (0 counts as 1), the file's order decides.
    for limit in [
        0,
        1,
        oms_webhooks::IMPORT_CONCURRENCY,
        oms_webhooks::EMBEDDED_IMPORT_CONCURRENCY,
    ] {
        rows_for_one_item_keep_file_order(ImportOptions {
            rows_in_flight: limit,
            ..options(false)
        })
        .await;
    }
}

async fn rows_for_one_item_keep_file_order(opts: ImportOptions) {
    let h = Harness::new().await;
    // Same product twice at the same version: the first row wins, like a row-by-row import.
    // Many offers of one vendor share one item: none may be lost to contention.
    let mut csv = String::from("product_id,vendor_id,product_sku,product_name,product_price,product_currency,stock,package_weight,package_length,package_width,package_height,version\n");
    csv.push_str("p-1,v-1,SKU-1,First,1.00,SGD,1,0.1,1,1,1,\n");
    csv.push_str("p-1,v-1,SKU-1,Second,1.00,SGD,2,0.1,1,1,1,\n");
    csv.push_str("p-2,v-1,SKU-2,Old,1.00,SGD,3,0.1,1,1,1,5\n");
    csv.push_str("p-2,v-1,SKU-2,New,1.00,SGD,4,0.1,1,1,1,9\n");
    csv.push_str("p-2,v-1,SKU-2,Older,1.00,SGD,5,0.1,1,1,1,7\n");
    let report = run(&h, "t1", Kind::VendorProducts, &csv, opts)
        .await
        .unwrap();
    assert_eq!((report.applied, report.stale), (3, 2));
    let view = h.catalog("t1", "v-1", &["SKU-1", "SKU-2"], &[]).await;
    let name = |sku: &str| {
        view.products
            .iter()
            .find(|p| p.sku.as_str() == sku)
            .map(|p| p.name.clone())
    };
    assert_eq!(name("SKU-1").as_deref(), Some("First"));
    assert_eq!(name("SKU-2").as_deref(), Some("New"));

    let mut offers = String::from("vendor_id,offer_id,name,offer_type,discount_value,is_active\n");
    for i in 0..40 {
        offers.push_str(&format!("v-1,o-{i},Offer {i},percentage_discount,5,true\n"));
    }
    let report = run(&h, "t1", Kind::VendorOffers, &offers, opts)
        .await
        .unwrap();
    assert_eq!(report.applied, 40);
    assert_eq!(h.catalog("t1", "v-1", &[], &[]).await.offers.len(), 40);
}

#[tokio::test]
async fn a_file_that_cannot_be_imported_is_refused_before_any_row() {
    let h = Harness::new().await;
    let cases = [
        (Kind::VendorDetails, "", SyncErrorCode::InvalidPayload, None),
        (
            Kind::VendorDetails,
            "vendor_id,name,colour\nv-1,V,red\n",
            SyncErrorCode::InvalidPayload,
            Some("colour"),
        ),
        (
            Kind::VendorDetails,
            "vendor_id,name\nv-1,V\n",
            SyncErrorCode::InvalidPayload,
            Some("country"),
        ),
        (Kind::Identity, "sub\nu-1\n", SyncErrorCode::NotFound, None),
    ];
    for (kind, csv, code, column) in cases {
        match run(&h, "t1", kind, csv, options(false)).await {
            Err(ImportError::Header(e)) => {
                assert_eq!(
                    (e.line, e.code, e.column.as_deref()),
                    (1, code, column),
                    "{csv:?}"
                );
            }
            other => panic!("{csv:?}: {other:?}"),
        }
    }
    assert_eq!(
        h.writes(),
        8,
        "only the four tenant configurations and secrets of the harness"
    );
}

#[tokio::test]
async fn a_store_fault_stops_the_import_with_the_counts_so_far() {
    let h = Harness::new().await;
    h.items.fail_writes(true);
    let (kind, csv, _, _) = files().remove(1);
    match run(&h, "t1", kind, csv, options(false)).await {
        Err(ImportError::Store { report, .. }) => {
            assert_eq!(report.applied, 0);
            assert!(report.rows >= 1);
        }
        other => panic!("{other:?}"),
    }
    h.items.fail_writes(false);
    // Re-running the file after the fault imports it.
    assert_eq!(
        run(&h, "t1", kind, csv, options(false))
            .await
            .unwrap()
            .applied,
        1
    );
}

#[tokio::test]
async fn the_error_report_is_a_csv_with_line_column_code_message() {
    let h = Harness::new().await;
    let (kind, csv, _, _) = files().remove(1);
    let report = run(&h, "t1", kind, csv, options(true)).await.unwrap();
    let mut out = Vec::new();
    write_error_report_csv(&report.errors, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("line,column,code,message"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows[0].starts_with("3,name,INVALID_PAYLOAD,"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("4,country,INVALID_PAYLOAD,"),
        "{}",
        rows[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100000_row_product_file_streams_through_the_import() {
    let h = Harness::new().await;
    let mut callbacks = 0u64;
    let started = Instant::now();
    let report = import_csv(
        h.store.as_ref(),
        &tenant("t1"),
        Kind::VendorProducts,
        GeneratedProducts::new(100_000),
        options(false),
        &mut |_| callbacks += 1,
    )
    .await
    .unwrap();
    let elapsed = started.elapsed();
    println!(
        "imported 100000 product rows in {elapsed:?} ({:.0} rows/s)",
        100_000.0 / elapsed.as_secs_f64()
    );
    assert_eq!(report.rows, 100_000);
    assert_eq!(report.invalid, 100);
    assert_eq!(report.applied, 99_900);
    assert_eq!(report.errors.len(), 100);
    assert_eq!(report.errors[0].line, 1001);
    assert_eq!(report.errors[0].column.as_deref(), Some("stock"));
    assert_eq!(callbacks, 101);
    let view = h.catalog("t1", "v-42", &["SKU-99942"], &[]).await;
    assert_eq!(view.products.len(), 1);
}

/// A product row's `stock` is the on-hand count at the import time: a shipment recorded before
/// the import counts as gone, one recorded after it stays out of the units to sell.
#[tokio::test]
async fn a_product_row_counts_the_shipments_made_before_the_import() {
    let h = Harness::new().await;
    let csv = |on_hand: i64| {
        format!(
            "product_id,vendor_id,product_sku,product_name,product_price,product_currency,stock,package_weight,package_length,package_width,package_height\n\
             p-1,v-1,SKU-1,Shirt,10.00,SGD,{on_hand},0.5,10,10,1\n"
        )
    };
    let at = |version: u64| ImportOptions {
        dry_run: false,
        default_version: version,
        imported_at: imported_at(version),
        rows_in_flight: oms_webhooks::IMPORT_CONCURRENCY,
    };
    let stock = || async { h.catalog("t1", "v-1", &["SKU-1"], &[]).await.products[0].stock };
    run(&h, "t1", Kind::VendorProducts, &csv(5), at(VERSION))
        .await
        .unwrap();
    let shipment = VERSION + 60_000;
    crate::updater::shipped(&h, 2, imported_at(shipment)).await;
    assert_eq!(stock().await, 3);
    // Imported before the shipment was recorded: the 2 stay out.
    run(&h, "t1", Kind::VendorProducts, &csv(5), at(shipment - 1))
        .await
        .unwrap();
    assert_eq!(stock().await, 3);
    // Imported after it: the file's 3 on hand no longer contain them.
    run(&h, "t1", Kind::VendorProducts, &csv(3), at(shipment + 1))
        .await
        .unwrap();
    assert_eq!(stock().await, 3);
    run(&h, "t1", Kind::VendorProducts, &csv(4), at(shipment + 2))
        .await
        .unwrap();
    assert_eq!(stock().await, 4);
}
