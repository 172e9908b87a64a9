//! The original OMS's `wss` scheme, kept for its senders (docs/sync.md §2, docs/legacy-oms.md):
//! `X-Wss-Signature: hex(HMAC-SHA256(secret, raw body))` and `X-Wss-Timestamp: <unix seconds>`.
//!
//! **The timestamp is NOT signed in this scheme**: anyone who captured a request can resend it
//! with a fresh timestamp. Replay protection therefore rests on two things together:
//! 1. the window ([`super::WINDOW_SECONDS`], 300 s instead of the original's 3000 s), and
//! 2. the one-time record of the signature: [`Verified::replay_key`] is `wss:<lower-case hex MAC>`,
//!    and the caller MUST record it once (conditional put; keep it for as long as the sender
//!    may resend the same body, at least the window) and answer a second sighting as a duplicate
//!    without applying it. Since the MAC covers the whole body, a changed body is a new key.
//!
//! Because the key is the MAC, the same body can be delivered only once per key lifetime; senders
//! that re-send identical bodies on purpose must change something in them.

use super::{
    hex_decode_tag, hex_encode, hmac_sha256, parse_unix_seconds, single_header, tags_equal,
    usable_secrets, within_window, Failure, Headers, SignatureError, SignatureScheme, Verified,
};

pub const SIGNATURE_HEADER: &str = "x-wss-signature";
pub const TIMESTAMP_HEADER: &str = "x-wss-timestamp";

/// The legacy `wss` scheme.
#[derive(Debug, Clone, Copy, Default)]
pub struct WssScheme;

/// The `X-Wss-Signature` value for `body` (lower-case hex), for tests and tools.
pub fn sign(secret: &str, body: &[u8]) -> String {
    hmac_sha256(secret.as_bytes(), &[body])
        .map(|tag| hex_encode(&tag))
        .unwrap_or_default()
}

impl SignatureScheme for WssScheme {
    fn name(&self) -> &'static str {
        "wss"
    }

    fn verify(
        &self,
        headers: &dyn Headers,
        raw_body: &[u8],
        secrets: &[String],
        now_unix: i64,
    ) -> Result<Verified, SignatureError> {
        let signature = single_header(headers, SIGNATURE_HEADER)?;
        let timestamp = single_header(headers, TIMESTAMP_HEADER)?;
        let candidate =
            hex_decode_tag(signature).ok_or(SignatureError::new(Failure::MalformedHeader))?;
        let t =
            parse_unix_seconds(timestamp).ok_or(SignatureError::new(Failure::MalformedHeader))?;
        if !within_window(t, now_unix) {
            return Err(SignatureError::new(Failure::OutsideWindow));
        }
        let mut any_secret = false;
        for (index, secret) in usable_secrets(secrets) {
            any_secret = true;
            let Some(expected) = hmac_sha256(secret, &[raw_body]) else {
                continue;
            };
            if tags_equal(&expected, &candidate) {
                return Ok(Verified {
                    scheme: "wss",
                    timestamp: t,
                    secret_index: index,
                    replay_key: Some(format!("wss:{}", hex_encode(&candidate))),
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
    use crate::golden::{SECRET, VECTORS};

    const NOW: i64 = 1_764_064_800;

    fn verify(
        sig: &str,
        ts: &str,
        body: &str,
        secrets: &[&str],
    ) -> Result<Verified, SignatureError> {
        let headers = [("X-Wss-Signature", sig), ("X-Wss-Timestamp", ts)];
        let secrets: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        WssScheme.verify(&headers, body.as_bytes(), &secrets, NOW)
    }

    fn failure(r: Result<Verified, SignatureError>) -> Option<Failure> {
        r.err().map(|e| e.failure())
    }

    #[test]
    fn the_five_golden_vectors_verify_with_the_original_secret() {
        for (kind, sig, body) in VECTORS {
            assert_eq!(sign(SECRET, body.as_bytes()), sig, "{kind}");
            let v = verify(sig, &NOW.to_string(), body, &[SECRET]);
            assert_eq!(
                v.as_ref().map(|v| v.replay_key.clone()),
                Ok(Some(format!("wss:{sig}"))),
                "{kind}"
            );
            assert_eq!(v.map(|v| v.timestamp), Ok(NOW));
        }
    }

    #[test]
    fn golden_vectors_fail_when_tampered_old_or_wrongly_keyed() {
        for (kind, sig, body) in VECTORS {
            let tampered = body.replacen("v-234", "v-235", 1);
            assert_eq!(
                failure(verify(sig, &NOW.to_string(), &tampered, &[SECRET])),
                Some(Failure::Mismatch),
                "{kind}"
            );
            let with_newline = format!("{body}\n");
            assert_eq!(
                failure(verify(sig, &NOW.to_string(), &with_newline, &[SECRET])),
                Some(Failure::Mismatch)
            );
            let old = (NOW - 301).to_string();
            assert_eq!(
                failure(verify(sig, &old, body, &[SECRET])),
                Some(Failure::OutsideWindow),
                "{kind}"
            );
            // The original's 3000 s window no longer applies.
            let old = (NOW - 2999).to_string();
            assert_eq!(
                failure(verify(sig, &old, body, &[SECRET])),
                Some(Failure::OutsideWindow),
                "{kind}"
            );
            let future = (NOW + 301).to_string();
            assert_eq!(
                failure(verify(sig, &future, body, &[SECRET])),
                Some(Failure::OutsideWindow),
                "{kind}"
            );
            assert_eq!(
                failure(verify(sig, &NOW.to_string(), body, &["other"])),
                Some(Failure::Mismatch),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_rotated_second_secret_passes() {
        let (_, sig, body) = VECTORS[0];
        assert_eq!(
            verify(sig, &NOW.to_string(), body, &["old", SECRET]).map(|v| v.secret_index),
            Ok(1)
        );
    }

    #[test]
    fn the_replay_key_is_the_same_for_upper_and_lower_case_hex() {
        let (_, sig, body) = VECTORS[2];
        let upper =
            verify(&sig.to_uppercase(), &NOW.to_string(), body, &[SECRET]).map(|v| v.replay_key);
        assert_eq!(upper, Ok(Some(format!("wss:{sig}"))));
    }

    #[test]
    fn missing_or_malformed_headers_fail() {
        let (_, sig, body) = VECTORS[1];
        let secrets = vec![SECRET.to_string()];
        let only_sig = [("X-Wss-Signature", sig)];
        let r = WssScheme.verify(&only_sig, body.as_bytes(), &secrets, NOW);
        assert_eq!(failure(r), Some(Failure::MissingHeader));
        let now = NOW.to_string();
        let only_ts = [("x-wss-timestamp", now.as_str())];
        let r = WssScheme.verify(&only_ts, body.as_bytes(), &secrets, NOW);
        assert_eq!(failure(r), Some(Failure::MissingHeader));
        assert_eq!(
            failure(verify(sig, "soon", body, &[SECRET])),
            Some(Failure::MalformedHeader)
        );
        assert_eq!(
            failure(verify(sig, "1.5", body, &[SECRET])),
            Some(Failure::MalformedHeader)
        );
        assert_eq!(
            failure(verify(&sig[..63], &now, body, &[SECRET])),
            Some(Failure::MalformedHeader)
        );
        assert_eq!(
            failure(verify(&format!("sha256={sig}"), &now, body, &[SECRET])),
            Some(Failure::MalformedHeader)
        );
    }

    #[test]
    fn header_names_are_case_insensitive() {
        let (_, sig, body) = VECTORS[4];
        let now = NOW.to_string();
        let headers = [("X-WSS-SIGNATURE", sig), ("x-wss-TIMESTAMP", now.as_str())];
        assert!(WssScheme
            .verify(&headers, body.as_bytes(), &[SECRET.to_string()], NOW)
            .is_ok());
    }
}
