#!/usr/bin/env python3
"""Writes a vendor-products CSV of N rows for `oms import` (docs/benchmarks.md "CSV import").

    python3 infra/products-csv.py 100000 > /tmp/products-100k.csv
    python3 infra/products-csv.py 100000 --no-version > /tmp/products-100k-nover.csv

Deterministic: the same N gives the same file (no randomness, no clock). Rows look like the
samples in infra/samples/vendor-products.csv: 10 vendors, one SKU per row, a JSON `options` cell,
prices with two decimals. `version` is 1 on every row (a re-import is then stale), or left out
with --no-version (the import time in ms is the version, so a re-import writes every row again).
"""

import csv
import sys

CATEGORIES = ["Accessories", "Bags", "Kitchen", "Men's T-Shirts", "Outdoor", "Stationery"]
COLORS = ["Red", "Blue", "Natural", "Black", "White", "Green"]
SIZES = ["XS", "S", "M", "L", "XL"]


def main() -> None:
    args = sys.argv[1:]
    with_version = "--no-version" not in args
    numbers = [a for a in args if not a.startswith("--")]
    rows = int(numbers[0]) if numbers else 100_000
    columns = [
        "product_id", "vendor_id", "product_sku", "product_name", "product_category", "options",
        "product_price", "product_currency", "stock", "package_weight", "package_length",
        "package_width", "package_height", "is_active", "is_taxable",
    ]
    if with_version:
        columns.append("version")
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(columns)
    for i in range(rows):
        color = COLORS[i % len(COLORS)]
        size = SIZES[i % len(SIZES)]
        row = [
            f"p-bench-{i:06d}",
            f"v-bench-{i % 10}",
            f"SKU-{i:06d}-{size}",
            f"Bench product {i} ({color}, {size})",
            CATEGORIES[i % len(CATEGORIES)],
            f'{{"Size":"{size}","Color":"{color}"}}',
            f"{5 + i % 200}.{i % 100:02d}",
            "SGD",
            str(i % 500),
            f"0.{1 + i % 9}",
            str(10 + i % 40),
            str(10 + i % 30),
            str(1 + i % 10),
            "true",
            "true",
        ]
        if with_version:
            row.append("1")
        out.writerow(row)


if __name__ == "__main__":
    main()
