//! The default scheme: `Oms-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]` with
//! `v1 = hex(HMAC-SHA256(secret, "<t>." + raw body))` (docs/sync.md §2).
//!
//! Any `v1` matching any active secret passes (rotation: the sender signs with each active
//! secret). The timestamp is signed, so a replay outside the window fails and one inside it is
//! caught by the event-id dedupe; no replay key is needed.

use super::{
    hex_decode_tag, hex_encode, hmac_sha256, single_header, tags_equal, usable_secrets,
    within_window, Failure, Headers, SignatureError, SignatureScheme, Verified, MAC_LEN,
};

/// Header name (matched case-insensitively).
pub const HEADER: &str = "oms-signature";

/// Longest header value accepted, and most `v1` entries in it (both far above real use).
const MAX_HEADER_LEN: usize = 4096;
const MAX_V1: usize = 16;

/// The `oms` scheme.
#[derive(Debug, Clone, Copy, Default)]
pub struct OmsScheme;

/// The `Oms-Signature` header value for `body` signed with `secret` at `t` (for tests and tools).
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let tag = hmac_sha256(secret.as_bytes(), &[t.to_string().as_bytes(), b".", body])
        .map(|tag| hex_encode(&tag))
        .unwrap_or_default();
    format!("t={t},v1={tag}")
}

struct ParsedHeader {
    t: i64,
    v1: Vec<[u8; MAC_LEN]>,
}

/// Strict parser: exactly one `t` (digits), 1..=16 `v1` (64 hex digits each); other `key=value`
/// entries (e.g. a future `v2`) are ignored; anything else is malformed.
fn parse(value: &str) -> Result<ParsedHeader, SignatureError> {
    let malformed = || SignatureError::new(Failure::MalformedHeader);
    if value.len() > MAX_HEADER_LEN {
        return Err(malformed());
    }
    let mut t = None;
    let mut v1 = Vec::new();
    for item in value.split(',') {
        let (key, val) = item.trim().split_once('=').ok_or_else(malformed)?;
        match key.trim() {
            "t" => {
                if t.is_some() {
                    return Err(malformed());
                }
                t = Some(super::parse_unix_seconds(val).ok_or_else(malformed)?);
            }
            "v1" => {
                if v1.len() == MAX_V1 {
                    return Err(malformed());
                }
                v1.push(hex_decode_tag(val.trim()).ok_or_else(malformed)?);
            }
            "" => return Err(malformed()),
            _ => {}
        }
    }
    match t {
        Some(t) if !v1.is_empty() => Ok(ParsedHeader { t, v1 }),
        _ => Err(malformed()),
    }
}

impl SignatureScheme for OmsScheme {
    fn name(&self) -> &'static str {
        "oms"
    }

    fn verify(
        &self,
        headers: &dyn Headers,
        raw_body: &[u8],
        secrets: &[String],
        now_unix: i64,
    ) -> Result<Verified, SignatureError> {
        let header = parse(single_header(headers, HEADER)?)?;
        if !within_window(header.t, now_unix) {
            return Err(SignatureError::new(Failure::OutsideWindow));
        }
        let t_text = header.t.to_string();
        let mut any_secret = false;
        for (index, secret) in usable_secrets(secrets) {
            any_secret = true;
            let Some(expected) = hmac_sha256(secret, &[t_text.as_bytes(), b".", raw_body]) else {
                continue;
            };
            // Compare against every candidate so the work done does not depend on which matched.
            let matched = header
                .v1
                .iter()
                .fold(false, |acc, cand| tags_equal(&expected, cand) | acc);
            if matched {
                return Ok(Verified {
                    scheme: "oms",
                    timestamp: header.t,
                    secret_index: index,
                    replay_key: None,
                });
            }
        }
        Err(SignatureError::new(if any_secret {
            Failure::Mismatch
        } else {
            Failure::NoSecret
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_764_064_800;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"vendor_product.upserted"}"#;

    fn secrets(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn verify(header: &str, body: &[u8], keys: &[&str]) -> Result<Verified, SignatureError> {
        OmsScheme.verify(&[("Oms-Signature", header)], body, &secrets(keys), NOW)
    }

    /// Known answer computed outside this code base, so `sign` and `verify` cannot agree on a
    /// wrong scheme between themselves:
    /// `printf '%s' '1764064800.{"id":"evt_kav","type":"vendor_product.upserted"}' |
    ///  openssl dgst -sha256 -hmac 'kav-secret-123'`
    const KAV_BODY: &[u8] = br#"{"id":"evt_kav","type":"vendor_product.upserted"}"#;
    const KAV_HEADER: &str =
        "t=1764064800,v1=00ade3d03c32bf9edea41aefbb1c2b84bfb53284b625a1fdcdb33667c96f36ba";

    #[test]
    fn the_signature_matches_an_independently_computed_vector() {
        assert_eq!(sign("kav-secret-123", NOW, KAV_BODY), KAV_HEADER);
        assert!(verify(KAV_HEADER, KAV_BODY, &["kav-secret-123"]).is_ok());
        // One byte off anywhere fails.
        let flipped = KAV_HEADER.replace("00ade3", "00ade4");
        assert!(verify(&flipped, KAV_BODY, &["kav-secret-123"]).is_err());
        assert!(verify(KAV_HEADER, KAV_BODY, &["kav-secret-124"]).is_err());
    }

    fn failure(r: Result<Verified, SignatureError>) -> Option<Failure> {
        r.err().map(|e| e.failure())
    }

    #[test]
    fn a_valid_signature_passes() {
        let header = sign("s3cret", NOW, BODY);
        let v = verify(&header, BODY, &["s3cret"]);
        assert_eq!(
            v,
            Ok(Verified {
                scheme: "oms",
                timestamp: NOW,
                secret_index: 0,
                replay_key: None
            })
        );
    }

    #[test]
    fn the_second_active_secret_passes_during_rotation() {
        let header = sign("new", NOW, BODY);
        assert_eq!(
            verify(&header, BODY, &["old", "new"]).map(|v| v.secret_index),
            Ok(1)
        );
    }

    #[test]
    fn any_of_several_v1_values_may_match() {
        let good = sign("s3cret", NOW, BODY);
        let good_v1 = good.split(",v1=").nth(1).unwrap_or_default();
        let other = sign("unrelated", NOW, BODY);
        let other_v1 = other.split(",v1=").nth(1).unwrap_or_default();
        let header = format!("t={NOW},v1={other_v1}, v1={good_v1},v0=ignored");
        assert!(verify(&header, BODY, &["s3cret"]).is_ok());
        let header = format!("t={NOW},v1={other_v1},v1={other_v1}");
        assert_eq!(
            failure(verify(&header, BODY, &["s3cret"])),
            Some(Failure::Mismatch)
        );
    }

    #[test]
    fn a_wrong_secret_fails() {
        let header = sign("attacker", NOW, BODY);
        assert_eq!(
            failure(verify(&header, BODY, &["s3cret"])),
            Some(Failure::Mismatch)
        );
    }

    #[test]
    fn timestamps_more_than_300_seconds_away_fail_both_ways() {
        let stale = sign("s3cret", NOW - 301, BODY);
        assert_eq!(
            failure(verify(&stale, BODY, &["s3cret"])),
            Some(Failure::OutsideWindow)
        );
        let future = sign("s3cret", NOW + 301, BODY);
        assert_eq!(
            failure(verify(&future, BODY, &["s3cret"])),
            Some(Failure::OutsideWindow)
        );
        let edge = sign("s3cret", NOW - 300, BODY);
        assert!(verify(&edge, BODY, &["s3cret"]).is_ok());
        let edge = sign("s3cret", NOW + 300, BODY);
        assert!(verify(&edge, BODY, &["s3cret"]).is_ok());
    }

    #[test]
    fn a_changed_timestamp_breaks_the_mac() {
        let header =
            sign("s3cret", NOW, BODY).replacen(&format!("t={NOW}"), &format!("t={}", NOW - 1), 1);
        assert_eq!(
            failure(verify(&header, BODY, &["s3cret"])),
            Some(Failure::Mismatch)
        );
    }

    #[test]
    fn a_missing_header_fails() {
        let r = OmsScheme.verify(&[("X-Other", "x")], BODY, &secrets(&["s3cret"]), NOW);
        assert_eq!(failure(r), Some(Failure::MissingHeader));
    }

    #[test]
    fn malformed_headers_fail() {
        let good = sign("s3cret", NOW, BODY);
        let v1 = good.split(",v1=").nth(1).unwrap_or_default().to_string();
        let cases = [
            String::new(),
            "garbage".to_string(),
            format!("v1={v1}"),
            format!("t={NOW}"),
            format!("t=abc,v1={v1}"),
            format!("t=-{NOW},v1={v1}"),
            format!("t={NOW},t={NOW},v1={v1}"),
            format!("t={NOW},v1={}", &v1[..10]),
            format!("t={NOW},v1={v1},,"),
            format!("t={NOW},v1={v1},=x"),
            format!("t={NOW},{}", vec![format!("v1={v1}"); 17].join(",")),
        ];
        for header in cases {
            assert_eq!(
                failure(verify(&header, BODY, &["s3cret"])),
                Some(Failure::MalformedHeader),
                "{header}"
            );
        }
    }

    #[test]
    fn two_signature_headers_are_ambiguous_and_fail() {
        let header = sign("s3cret", NOW, BODY);
        let headers = [
            ("Oms-Signature", header.as_str()),
            ("oms-signature", header.as_str()),
        ];
        let r = OmsScheme.verify(&headers, BODY, &secrets(&["s3cret"]), NOW);
        assert_eq!(failure(r), Some(Failure::MalformedHeader));
    }

    #[test]
    fn a_tampered_body_fails() {
        let header = sign("s3cret", NOW, BODY);
        let tampered = br#"{"id":"evt_1","type":"vendor_product.upserted" }"#;
        assert_eq!(
            failure(verify(&header, tampered, &["s3cret"])),
            Some(Failure::Mismatch)
        );
    }

    #[test]
    fn header_names_are_case_insensitive() {
        let header = sign("s3cret", NOW, BODY);
        let r = OmsScheme.verify(
            &[("OMS-SIGNATURE", header.as_str())],
            BODY,
            &secrets(&["s3cret"]),
            NOW,
        );
        assert!(r.is_ok());
    }

    #[test]
    fn no_usable_secret_fails() {
        let header = sign("", NOW, BODY);
        assert_eq!(failure(verify(&header, BODY, &[])), Some(Failure::NoSecret));
        assert_eq!(
            failure(verify(&header, BODY, &[""])),
            Some(Failure::NoSecret)
        );
    }
}
