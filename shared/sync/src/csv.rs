//! CSV import core (docs/sync.md §5): templates and a streaming reader that turns each row into a
//! `data` object and validates it through the SAME path as webhooks ([`validate_snapshot`]).
//!
//! - UTF-8, optional BOM, RFC 4180 quoting (quoted cells may span lines), header row required.
//! - Columns are the kind's `data` fields ([`crate::schema::fields`]) in any order, plus two
//!   optional extras: `tenant_id` (must equal the import's tenant) and `version`.
//! - Cells: blank = absent; typed by the field ([`crate::schema::FieldType::cell_to_json`]);
//!   JSON columns (`options`, `conditions`) hold JSON text.
//! - `version`: a whole number ≥ 0; blank or no column = the caller's default, which should be
//!   the import time in milliseconds (so a later webhook with a sequence number below it loses,
//!   and re-running the same file re-applies identical content).
//! - Rows whose cells are all blank are skipped (spreadsheet exports end with such rows).
//! - Line numbers are PHYSICAL lines of the file (header = line 1), counting the line breaks
//!   inside quoted cells and blank lines; `\n`, `\r\n` and a lone `\r` (the parser's record
//!   terminators) are one break each.
//! - Streaming: one record at a time; memory does not grow with the file.

use std::collections::VecDeque;
use std::io::{self, Read};

use serde_json::{Map, Value};

use oms_domain::ids::TenantId;

use crate::error::{relative, SyncError, SyncErrorCode};
use crate::event::Snapshot;
use crate::kind::Kind;
use crate::schema::{fields, FieldSpec, FieldType, Presence};
use crate::validate::validate_snapshot;

const VERSION_COLUMN: &str = "version";
const TENANT_COLUMN: &str = "tenant_id";

/// `(header line, example row)` of `kind`'s template, each without a line break; `None` for
/// kinds without a template (user-authorizations, identity, payments).
pub fn template(kind: Kind) -> Option<(String, String)> {
    if !kind.has_csv_template() {
        return None;
    }
    let specs = fields(kind);
    let header = specs
        .iter()
        .map(|s| quote(s.name))
        .collect::<Vec<_>>()
        .join(",");
    let example = specs
        .iter()
        .map(|s| quote(s.example))
        .collect::<Vec<_>>()
        .join(",");
    Some((header, example))
}

/// RFC 4180 quoting: only when needed; quotes doubled.
fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

/// A validated row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvRow {
    /// Physical line where the row starts (header = 1).
    pub line: u64,
    pub snapshot: Snapshot,
    pub version: u64,
}

/// A rejected row (or header). `column` is the CSV column at fault when one is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {code}: {message}")]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub code: SyncErrorCode,
    pub message: String,
}

impl RowError {
    fn invalid(line: u64, column: Option<&str>, message: impl Into<String>) -> Self {
        RowError {
            line,
            column: column.map(str::to_string),
            code: SyncErrorCode::InvalidPayload,
            message: message.into(),
        }
    }

    /// A validation error of the row at `line`: the column is the first segment of the field
    /// path below `data` (`data.conditions.max_weight` → `conditions`).
    fn from_sync(line: u64, e: SyncError) -> Self {
        let column = e.field.as_deref().map(|f| {
            relative(f)
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string()
        });
        RowError {
            line,
            column,
            code: e.code,
            message: e.message,
        }
    }
}

/// Counts line breaks by byte offset as the csv parser pulls bytes, so a record's physical line
/// can be recovered from its byte position. Only breaks not yet behind the current record are
/// kept (bounded by the parser's read-ahead plus one record).
struct LineTracker<R> {
    inner: R,
    offset: u64,
    /// `(byte offset, is '\n')` of every '\r' / '\n' not yet passed.
    breaks: VecDeque<(u64, bool)>,
    /// Line breaks ('\n', '\r\n', a lone '\r') already passed.
    lines_passed: u64,
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf.iter().take(n).enumerate() {
            if *b == b'\n' || *b == b'\r' {
                self.breaks.push_back((self.offset + i as u64, *b == b'\n'));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> LineTracker<R> {
    /// The physical line of a record whose parse started at `start` (the byte after the
    /// previous record). Line breaks right at `start` (the '\n' of a CRLF, skipped blank lines)
    /// come before the record's first byte.
    fn line_at(&mut self, start: u64) -> u64 {
        let mut cur = start;
        while let Some(&(off, is_lf)) = self.breaks.front() {
            if off > cur {
                break;
            }
            if off == cur {
                cur += 1;
            }
            self.breaks.pop_front();
            // A '\r' ends a line of its own unless a '\n' follows it (CRLF is one break). The
            // byte after it has been read: the parser read the whole record starting at `start`.
            let ends_line = is_lf || self.breaks.front() != Some(&(off + 1, true));
            self.lines_passed += u64::from(ends_line);
        }
        self.lines_passed + 1
    }
}

#[derive(Debug, Clone, Copy)]
enum Column {
    Field(&'static str, FieldType),
    Tenant,
    Version,
}

/// Streams validated rows of one kind from a CSV reader.
pub struct CsvImport<R: Read> {
    kind: Kind,
    tenant: TenantId,
    default_version: u64,
    reader: ::csv::Reader<LineTracker<R>>,
    columns: Vec<(String, Column)>,
    record: ::csv::ByteRecord,
    done: bool,
}

impl<R: Read> std::fmt::Debug for CsvImport<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvImport")
            .field("kind", &self.kind)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

impl<R: Read> CsvImport<R> {
    /// Reads and checks the header of a `kind` file for `tenant`. `default_version` applies to
    /// rows without a `version` cell (use the import time in ms).
    ///
    /// # Errors
    /// A [`RowError`] at line 1: `NOT_FOUND` for a kind without a template; `INVALID_PAYLOAD`
    /// for a missing header, a blank, unknown or repeated column, or a missing required column.
    pub fn new(
        kind: Kind,
        input: R,
        tenant: TenantId,
        default_version: u64,
    ) -> Result<Self, RowError> {
        if !kind.has_csv_template() {
            return Err(RowError {
                line: 1,
                column: None,
                code: SyncErrorCode::NotFound,
                message: format!("'{kind}' has no CSV import."),
            });
        }
        let tracker = LineTracker {
            inner: input,
            offset: 0,
            breaks: VecDeque::new(),
            lines_passed: 0,
        };
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(tracker);
        let mut record = ::csv::ByteRecord::new();
        let has_header = reader
            .read_byte_record(&mut record)
            .map_err(|e| RowError::invalid(1, None, format!("Unreadable CSV: {e}.")))?;
        if !has_header {
            return Err(RowError::invalid(
                1,
                None,
                "The file is empty: a header row is required.",
            ));
        }
        let line = record_line(&mut reader, &record);
        let columns = header_columns(kind, &record, line)?;
        Ok(CsvImport {
            kind,
            tenant,
            default_version,
            reader,
            columns,
            record,
            done: false,
        })
    }

    /// Converts and validates the current record (starting at `line`).
    fn row(&self, line: u64) -> Result<Option<CsvRow>, RowError> {
        if self.record.len() != self.columns.len() {
            if self
                .record
                .iter()
                .all(|c| c.iter().all(u8::is_ascii_whitespace))
            {
                return Ok(None);
            }
            return Err(RowError::invalid(
                line,
                None,
                format!(
                    "Expected {} cells, found {}.",
                    self.columns.len(),
                    self.record.len()
                ),
            ));
        }
        let mut data = Map::new();
        let mut version = self.default_version;
        let mut all_blank = true;
        for ((name, column), raw) in self.columns.iter().zip(self.record.iter()) {
            let cell = std::str::from_utf8(raw).map_err(|_| {
                RowError::invalid(line, Some(name), format!("{name} is not valid UTF-8."))
            })?;
            if cell.trim().is_empty() {
                continue;
            }
            all_blank = false;
            match column {
                Column::Version => {
                    version = cell.trim().parse::<u64>().map_err(|_| {
                        RowError::invalid(line, Some(name), "version must be a whole number ≥ 0.")
                    })?;
                }
                Column::Tenant => {
                    data.insert(TENANT_COLUMN.to_string(), Value::String(cell.to_string()));
                }
                Column::Field(field, ty) => match ty.cell_to_json(cell) {
                    Ok(Some(v)) => {
                        data.insert((*field).to_string(), v);
                    }
                    Ok(None) => {}
                    Err(msg) => {
                        return Err(RowError::invalid(line, Some(name), format!("{name} {msg}")))
                    }
                },
            }
        }
        if all_blank {
            return Ok(None);
        }
        let snapshot = validate_snapshot(self.kind, &data, &self.tenant)
            .map_err(|e| RowError::from_sync(line, e))?;
        Ok(Some(CsvRow {
            line,
            snapshot,
            version,
        }))
    }
}

/// The physical line of the record just read.
fn record_line<R: Read>(
    reader: &mut ::csv::Reader<LineTracker<R>>,
    record: &::csv::ByteRecord,
) -> u64 {
    match record.position() {
        Some(pos) => {
            let start = pos.byte();
            reader.get_mut().line_at(start)
        }
        None => reader.position().line(),
    }
}

fn header_columns(
    kind: Kind,
    record: &::csv::ByteRecord,
    line: u64,
) -> Result<Vec<(String, Column)>, RowError> {
    let specs = fields(kind);
    let mut columns: Vec<(String, Column)> = Vec::with_capacity(record.len());
    for raw in record.iter() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| RowError::invalid(line, None, "The header is not valid UTF-8."))?
            .trim()
            .to_ascii_lowercase();
        if name.is_empty() {
            return Err(RowError::invalid(
                line,
                None,
                "The header has a blank column name.",
            ));
        }
        if columns.iter().any(|(n, _)| *n == name) {
            return Err(RowError::invalid(
                line,
                Some(&name),
                format!("Column {name} appears twice."),
            ));
        }
        let column = match name.as_str() {
            VERSION_COLUMN => Column::Version,
            TENANT_COLUMN => Column::Tenant,
            other => match specs.iter().find(|s| s.name == other) {
                Some(FieldSpec { name, ty, .. }) => Column::Field(name, *ty),
                None => {
                    let known: Vec<&str> = specs.iter().map(|s| s.name).collect();
                    return Err(RowError::invalid(
                        line,
                        Some(&name),
                        format!(
                            "Unknown column {name} for {kind} (expected: {}).",
                            known.join(", ")
                        ),
                    ));
                }
            },
        };
        columns.push((name, column));
    }
    if let Some(missing) = specs
        .iter()
        .find(|s| s.presence == Presence::Required && !columns.iter().any(|(n, _)| n == s.name))
    {
        return Err(RowError::invalid(
            line,
            Some(missing.name),
            format!("Required column {} is missing.", missing.name),
        ));
    }
    Ok(columns)
}

impl<R: Read> Iterator for CsvImport<R> {
    type Item = Result<CsvRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => self.done = true,
                Ok(true) => {
                    let line = record_line(&mut self.reader, &self.record);
                    match self.row(line) {
                        Ok(None) => continue,
                        Ok(Some(row)) => return Some(Ok(row)),
                        Err(e) => return Some(Err(e)),
                    }
                }
                Err(e) => {
                    // I/O failures end the import; the parser itself accepts any bytes.
                    self.done = true;
                    let line = e
                        .position()
                        .map(|p| p.line())
                        .unwrap_or_else(|| self.reader.position().line());
                    return Some(Err(RowError::invalid(
                        line,
                        None,
                        format!("Unreadable CSV: {e}."),
                    )));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::new("t1").unwrap_or_else(|_| unreachable!())
    }

    const DEFAULT_VERSION: u64 = 1_764_064_800_000;

    fn import(kind: Kind, text: &str) -> Result<Vec<Result<CsvRow, RowError>>, RowError> {
        CsvImport::new(kind, text.as_bytes(), tenant(), DEFAULT_VERSION).map(|it| it.collect())
    }

    /// `(line, Ok(entity key) | Err((column, code)))` per row.
    type Outcome = (u64, Result<String, (Option<String>, SyncErrorCode)>);

    fn outcomes(kind: Kind, text: &str) -> Vec<Outcome> {
        import(kind, text)
            .unwrap_or_default()
            .into_iter()
            .map(|r| match r {
                Ok(row) => (row.line, Ok(row.snapshot.entity_key())),
                Err(e) => (e.line, Err((e.column, e.code))),
            })
            .collect()
    }

    fn bad(column: &str) -> Result<String, (Option<String>, SyncErrorCode)> {
        Err((Some(column.to_string()), SyncErrorCode::InvalidPayload))
    }

    const PRODUCT_HEADER: &str = "product_id,vendor_id,product_sku,product_name,product_price,product_currency,stock,package_weight,package_length,package_width,package_height";

    fn product_row(id: &str, stock: &str) -> String {
        format!("{id},v-1,SKU-{id},Shirt {id},10.00,SGD,{stock},0.5,30,20,2")
    }

    #[test]
    fn every_template_example_row_parses_back() {
        for kind in Kind::CSV {
            let (header, example) = template(kind).unwrap_or_default();
            assert!(!header.is_empty() && !example.contains('\n'), "{kind}");
            let rows = import(kind, &format!("{header}\n{example}\n"));
            let rows = rows.unwrap_or_default();
            assert_eq!(rows.len(), 1, "{kind}");
            let row = rows.into_iter().next().and_then(Result::ok);
            assert_eq!(
                row.as_ref().map(|r| (r.line, r.version)),
                Some((2, DEFAULT_VERSION)),
                "{kind}"
            );
            assert_eq!(row.map(|r| r.snapshot.kind()), Some(kind));
        }
    }

    #[test]
    fn templates_exist_only_for_the_seven_csv_kinds() {
        assert!(template(Kind::UserAuthorizations).is_none());
        assert!(template(Kind::Identity).is_none());
        assert!(template(Kind::Payments).is_none());
        let (header, example) = template(Kind::CustomerAddresses).unwrap_or_default();
        assert_eq!(header, "customer_id,address_id,address_type,street,city,state,postal,country,is_default,is_active");
        assert!(example.contains("\"1 Raffles Place, #20-01\""));
        assert!(example.contains(",048616,"));
        let (_, example) = template(Kind::VendorProducts).unwrap_or_default();
        assert!(example.contains(r#""{""Size"":""L"",""Color"":""RED""}""#));
    }

    #[test]
    fn the_docs_show_every_template() {
        let docs = include_str!("../../../docs/sync.md");
        for kind in Kind::CSV {
            let (header, example) = template(kind).unwrap_or_default();
            let block = format!("{kind}\n```\n{header}\n{example}\n```");
            assert!(
                docs.contains(&block),
                "docs/sync.md lacks the {kind} template:\n{block}"
            );
        }
    }

    #[test]
    fn good_rows_validate_with_lines_and_versions() {
        let text = format!(
            "{PRODUCT_HEADER},version\n{},\n{},42\n",
            product_row("p-1", "5"),
            product_row("p-2", "0")
        );
        let rows: Vec<CsvRow> = import(Kind::VendorProducts, &text)
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(
            rows.iter().map(|r| (r.line, r.version)).collect::<Vec<_>>(),
            [(2, DEFAULT_VERSION), (3, 42)]
        );
        match rows.first().map(|r| &r.snapshot) {
            Some(Snapshot::Product(p)) => {
                assert_eq!(
                    (p.price.minor(), p.stock, p.is_active, p.is_taxable),
                    (1000, 5, true, true)
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn columns_may_come_in_any_order_and_in_any_case() {
        let text = "Name,COUNTRY,vendor_id\nVendor One,Singapore,v-1\n";
        match import(Kind::VendorDetails, text)
            .unwrap_or_default()
            .into_iter()
            .next()
        {
            Some(Ok(CsvRow {
                snapshot: Snapshot::Vendor(v),
                ..
            })) => assert_eq!(v.country.code(), "SG"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bad_rows_report_line_and_column_and_the_import_goes_on() {
        let text = format!(
            "{PRODUCT_HEADER}\n{}\n{}\n{}\np-4,v-1,SKU-4,Shirt,abc,SGD,1,0.5,30,20,2\n",
            product_row("p-1", "1"),
            product_row("p-2", "-1"),
            product_row("p-3", "2")
        );
        assert_eq!(
            outcomes(Kind::VendorProducts, &text),
            vec![
                (2, Ok("PRODUCT#p-1".into())),
                (3, bad("stock")),
                (4, Ok("PRODUCT#p-3".into())),
                (5, bad("product_price")),
            ]
        );
    }

    #[test]
    fn row_errors_carry_the_validation_message() {
        let text = format!("{PRODUCT_HEADER}\n{}\n", product_row("p-1", "1.5"));
        let err = import(Kind::VendorProducts, &text)
            .unwrap_or_default()
            .into_iter()
            .next()
            .and_then(Result::err);
        let err = err.unwrap_or_else(|| panic!("expected an error"));
        assert_eq!(
            (err.line, err.column.as_deref(), err.code),
            (2, Some("stock"), SyncErrorCode::InvalidPayload)
        );
        assert!(
            err.message.starts_with("stock must be a whole number"),
            "{}",
            err.message
        );
    }

    #[test]
    fn quoted_multi_line_cells_count_their_physical_lines() {
        let header = "customer_id,address_id,street,city,postal,country";
        let text = format!(
            "{header}\nc-1,a-1,\"1 Main St\nUnit 5\nBlock B\",Singapore,018956,SG\nc-1,a-2,\"2 Side St\",Singapore,,SG\nc-1,a-3,3 Top St,Singapore,01234,SG\n"
        );
        assert_eq!(
            outcomes(Kind::CustomerAddresses, &text),
            vec![
                (2, Ok("ADDRESS#c-1#a-1".into())),
                (5, bad("postal")),
                (6, Ok("ADDRESS#c-1#a-3".into()))
            ]
        );
        let rows = import(Kind::CustomerAddresses, &text).unwrap_or_default();
        match rows.first() {
            Some(Ok(CsvRow {
                snapshot: Snapshot::CustomerAddress(a),
                ..
            })) => {
                assert_eq!(a.address.street, "1 Main St\nUnit 5\nBlock B");
                assert_eq!(a.address.postal, "018956");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn crlf_files_blank_lines_and_a_missing_final_newline_keep_line_numbers_right() {
        let text = format!(
            "{PRODUCT_HEADER}\r\n{}\r\n\r\n\r\n\"p-2\",v-1,SKU-2,\"Shirt\r\nTwo\",10.00,SGD,-3,0.5,30,20,2\r\n{}",
            product_row("p-1", "1"),
            product_row("p-3", "x")
        );
        assert_eq!(
            outcomes(Kind::VendorProducts, &text),
            vec![
                (2, Ok("PRODUCT#p-1".into())),
                (5, bad("stock")),
                (7, bad("stock"))
            ]
        );
    }

    #[test]
    fn lone_cr_line_breaks_count_as_lines() {
        // Found by the CSV property test: a file with classic-Mac line ends reported every row at
        // line 1 (only '\n' was counted), though the parser splits records at a lone '\r'.
        let text = format!(
            "{PRODUCT_HEADER}\r{}\r\r{}\r\n{}\r",
            product_row("p-1", "1"),
            product_row("p-2", "x"),
            product_row("p-3", "y")
        );
        assert_eq!(
            outcomes(Kind::VendorProducts, &text),
            vec![
                (2, Ok("PRODUCT#p-1".into())),
                (4, bad("stock")),
                (5, bad("stock"))
            ]
        );
    }

    #[test]
    fn a_utf8_bom_is_tolerated() {
        let text = format!("\u{feff}{PRODUCT_HEADER}\n{}\n", product_row("p-1", "1"));
        assert_eq!(
            outcomes(Kind::VendorProducts, &text),
            vec![(2, Ok("PRODUCT#p-1".into()))]
        );
    }

    #[test]
    fn json_columns_hold_json_text() {
        let header = "vendor_id,name,delivery_time,conditions";
        let text = format!(
            "{header}\nv-1,Express,1 Day,\"{{\"\"max_weight\"\":10,\"\"cutoff_time\"\":\"\"15:00\"\"}}\"\nv-1,Standard,3 Days,{{max_weight:10}}\nv-1,Standard,3 Days,\"{{\"\"max_weight\"\":0}}\"\n"
        );
        assert_eq!(
            outcomes(Kind::VendorShippingOptions, &text),
            vec![
                (2, Ok("SHIPPING#v-1#EXPRESS".into())),
                (3, bad("conditions")),
                (4, bad("conditions"))
            ]
        );
        let rows = import(Kind::VendorShippingOptions, &text).unwrap_or_default();
        match rows.first() {
            Some(Ok(CsvRow {
                snapshot: Snapshot::ShippingOption(s),
                ..
            })) => {
                assert_eq!(s.conditions.cutoff_time.map(|t| t.minutes()), Some(900));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn blank_cells_are_absent_so_defaults_apply() {
        let text =
            "vendor_id,coupon_code,offer_id,is_active,usage_limit,start_date\nv-1,welcome,o-1,,,\n";
        match import(Kind::VendorCoupons, text)
            .unwrap_or_default()
            .into_iter()
            .next()
        {
            Some(Ok(CsvRow {
                snapshot: Snapshot::Coupon(c),
                ..
            })) => {
                assert_eq!(
                    (c.is_active, c.usage_limit, c.starts_at),
                    (false, None, None)
                );
                assert_eq!(c.code.as_str(), "WELCOME");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn boolean_cells_accept_common_spellings_and_reject_others() {
        let text = "vendor_id,name,country,is_active\nv-1,A,SG,No\nv-2,B,SG,1\nv-3,C,SG,maybe\n";
        let rows = import(Kind::VendorDetails, text).unwrap_or_default();
        let flags: Vec<Option<bool>> = rows
            .iter()
            .map(|r| match r {
                Ok(CsvRow {
                    snapshot: Snapshot::Vendor(v),
                    ..
                }) => Some(v.is_active),
                _ => None,
            })
            .collect();
        assert_eq!(flags, [Some(false), Some(true), None]);
        assert_eq!(
            rows.get(2)
                .and_then(|r| r.as_ref().err())
                .and_then(|e| e.column.clone())
                .as_deref(),
            Some("is_active")
        );
    }

    #[test]
    fn all_blank_rows_are_skipped_and_short_rows_are_errors() {
        let text = "vendor_id,name,country\nv-1,A,SG\n,,\n  \nv-2,B\nv-3,C,SG\n";
        assert_eq!(
            outcomes(Kind::VendorDetails, text),
            vec![
                (2, Ok("VENDOR#v-1".into())),
                (5, Err((None, SyncErrorCode::InvalidPayload))),
                (6, Ok("VENDOR#v-3".into()))
            ]
        );
    }

    #[test]
    fn version_and_tenant_columns_are_checked() {
        let text =
            "vendor_id,name,country,version,tenant_id\nv-1,A,SG,7,t1\nv-2,B,SG,-7,\nv-3,C,SG,,t2\n";
        assert_eq!(
            outcomes(Kind::VendorDetails, text),
            vec![
                (2, Ok("VENDOR#v-1".into())),
                (3, bad("version")),
                (
                    4,
                    Err((Some("tenant_id".into()), SyncErrorCode::TenantMismatch))
                )
            ]
        );
    }

    #[test]
    fn invalid_utf8_cells_are_row_errors() {
        let mut bytes = b"vendor_id,name,country\nv-1,".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b",SG\nv-2,B,SG\n");
        let rows: Vec<_> = CsvImport::new(Kind::VendorDetails, bytes.as_slice(), tenant(), 1)
            .map(|it| {
                it.map(|r| r.map(|r| r.line).map_err(|e| (e.line, e.column)))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(rows, vec![Err((2, Some("name".into()))), Ok(3)]);
    }

    #[test]
    fn header_problems_are_reported_at_line_1() {
        let header_err = |kind: Kind, text: &str| {
            CsvImport::new(kind, text.as_bytes(), tenant(), 1)
                .err()
                .map(|e| (e.line, e.column, e.code))
        };
        let invalid = SyncErrorCode::InvalidPayload;
        assert_eq!(
            header_err(Kind::VendorDetails, ""),
            Some((1, None, invalid))
        );
        assert_eq!(
            header_err(Kind::VendorDetails, "vendor_id,name,country,colour\n"),
            Some((1, Some("colour".into()), invalid))
        );
        assert_eq!(
            header_err(Kind::VendorDetails, "vendor_id,name,country,name\n"),
            Some((1, Some("name".into()), invalid))
        );
        assert_eq!(
            header_err(Kind::VendorDetails, "vendor_id,name\n"),
            Some((1, Some("country".into()), invalid))
        );
        assert_eq!(
            header_err(Kind::VendorDetails, "vendor_id,,name,country\n"),
            Some((1, None, invalid))
        );
        assert_eq!(
            header_err(Kind::Payments, "order_id\n"),
            Some((1, None, SyncErrorCode::NotFound))
        );
        // Optional columns may be left out entirely.
        assert!(header_err(Kind::VendorDetails, "vendor_id,name,country\n").is_none());
    }

    /// Produces a products CSV of `total` rows on demand, never holding more than one row.
    struct Generated {
        next_row: usize,
        total: usize,
        pending: Vec<u8>,
        pos: usize,
    }

    impl Read for Generated {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.pending.len() {
                if self.next_row > self.total {
                    return Ok(0);
                }
                self.pending = if self.next_row == 0 {
                    format!("{PRODUCT_HEADER}\n").into_bytes()
                } else {
                    format!("{}\n", product_row(&format!("p-{}", self.next_row), "3")).into_bytes()
                };
                self.pos = 0;
                self.next_row += 1;
            }
            let n = buf.len().min(self.pending.len() - self.pos);
            buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    #[test]
    fn a_100000_row_file_streams_through_a_reader() {
        let input = Generated {
            next_row: 0,
            total: 100_000,
            pending: Vec::new(),
            pos: 0,
        };
        let import = CsvImport::new(Kind::VendorProducts, input, tenant(), 1);
        let (mut ok, mut errors, mut last_line) = (0usize, 0usize, 0u64);
        for row in import.into_iter().flatten() {
            match row {
                Ok(row) => {
                    ok += 1;
                    last_line = row.line;
                }
                Err(_) => errors += 1,
            }
        }
        assert_eq!(errors, 0);
        assert_eq!(ok, 100_000);
        assert_eq!(last_line, 100_001);
    }
}
