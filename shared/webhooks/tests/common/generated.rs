//! A product CSV generated row by row, so a large import holds one row at a time on the test
//! side too. Every 1000th row is invalid (negative stock). Also used by `examples/import_bench.rs`.

use std::io::Read;

pub struct GeneratedProducts {
    next: u64,
    total: u64,
    pending: Vec<u8>,
    pos: usize,
}

impl GeneratedProducts {
    /// `total` data rows after the header; row `i` is product `p-<i>` of vendor `v-<i % 100>`.
    pub fn new(total: u64) -> Self {
        GeneratedProducts {
            next: 0,
            total,
            pending: b"product_id,vendor_id,product_sku,product_name,product_price,product_currency,stock,package_weight,package_length,package_width,package_height\n".to_vec(),
            pos: 0,
        }
    }
}

impl Read for GeneratedProducts {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            if self.next == self.total {
                return Ok(0);
            }
            let i = self.next;
            self.next += 1;
            let stock: i64 = if i % 1000 == 999 { -1 } else { (i % 50) as i64 };
            self.pending = format!(
                "p-{i},v-{},SKU-{i},Product {i},{}.{:02},SGD,{stock},0.5,10,10,1\n",
                i % 100,
                i % 500,
                i % 100
            )
            .into_bytes();
            self.pos = 0;
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
