//! RFC 3161 trusted timestamps of chain heads: the request, and the checks of a response (pure).
//!
//! A chain entry's hash is a SHA-256, so it is sent as the message imprint itself: the token then
//! vouches that the entry (and, through `prev`, everything before it) existed at `genTime`. The
//! entry's hashed text, written to a file, lets `openssl ts -verify -data FILE` check the token
//! without policywatch. DER and CMS through the cryptographic-message-syntax and
//! x509-certificate crates; signatures (RSA, ECDSA, Ed25519) through ring.

use bcder::encode::Values as _;
use bcder::{Integer, Mode, OctetString};
use cryptographic_message_syntax::SignedData;
use cryptographic_message_syntax::asn1::rfc3161::{
    MessageImprint, OID_CONTENT_TYPE_TST_INFO, PkiStatus, PkiStatusInfo, TimeStampReq,
    TimeStampResp, TstInfo,
};
use x509_certificate::{CapturedX509Certificate, DigestAlgorithm};

/// Why a time-stamping exchange or token does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TsaError {
    /// Not DER of the expected structure.
    #[error("not a time-stamp response: {0}")]
    Malformed(String),
    /// The TSA said no.
    #[error("the TSA refused: {0}")]
    Refused(String),
    /// The token stamps something else.
    #[error("the token's imprint is not this chain hash")]
    Imprint,
    /// The nonce is not the one sent.
    #[error("the token's nonce is not the one sent")]
    Nonce,
    /// The CMS signature does not verify.
    #[error("the token's signature does not verify: {0}")]
    Signature(String),
    /// The signer is not a certificate of, or issued by, the configured CA.
    #[error("the token's signer is not certified by tsa_ca_file")]
    Untrusted,
}

/// The DER of a `TimeStampReq` for `imprint` (a SHA-256) with `nonce`, asking for the TSA's
/// certificate in the token.
pub fn request(imprint: &[u8; 32], nonce: u64) -> Vec<u8> {
    let req = TimeStampReq {
        version: Integer::from(1u8),
        message_imprint: MessageImprint {
            hash_algorithm: DigestAlgorithm::Sha256.into(),
            hashed_message: OctetString::new(bytes::Bytes::copy_from_slice(imprint)),
        },
        req_policy: None,
        nonce: Some(Integer::from(nonce)),
        cert_req: Some(true),
        extensions: None,
    };
    let mut out = Vec::new();
    // writing into a Vec cannot fail
    let _ = req.encode_ref().write_encoded(Mode::Der, &mut out);
    out
}

/// What a verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// When the TSA says it saw the imprint (RFC 3339, UTC).
    pub gen_time: String,
    /// The token (a CMS `ContentInfo`), DER.
    pub token: Vec<u8>,
}

fn malformed(e: impl std::fmt::Display) -> TsaError {
    TsaError::Malformed(e.to_string())
}

/// Checks a `TimeStampResp` for `imprint` and `nonce`: granted, a token whose imprint and nonce
/// are these, whose signature verifies with the certificate it carries, that certificate
/// issued by (or one of) `cas`.
pub fn check(
    response: &[u8],
    imprint: &[u8; 32],
    nonce: u64,
    cas: &[CapturedX509Certificate],
) -> Result<Stamp, TsaError> {
    // decoded and encoded again in one mode (bcder refuses to mix them): DER, as RFC 3161 asks,
    // else BER
    let (resp, mode) =
        match bcder::decode::Constructed::decode(response, Mode::Der, TimeStampResp::take_from) {
            Ok(r) => (r, Mode::Der),
            Err(_) => (
                bcder::decode::Constructed::decode(response, Mode::Ber, TimeStampResp::take_from)
                    .map_err(malformed)?,
                Mode::Ber,
            ),
        };
    if !matches!(
        resp.status.status,
        PkiStatus::Granted | PkiStatus::GrantedWithMods
    ) {
        return Err(TsaError::Refused(format!(
            "{:?} {:?}",
            resp.status.status, resp.status.fail_info
        )));
    }
    if resp.time_stamp_token.is_none() {
        return Err(TsaError::Malformed("granted without a token".into()));
    }
    // the token's bytes as received (re-encoding the parsed ContentInfo would drop its [0] tag)
    let token = bcder::decode::Constructed::decode(response, mode, |cons| {
        cons.take_sequence(|cons| {
            PkiStatusInfo::take_from(cons)?;
            cons.capture_all()
        })
    })
    .map_err(malformed)?
    .as_slice()
    .to_vec();
    let gen_time = check_token(&token, imprint, Some(nonce), cas)?;
    Ok(Stamp { gen_time, token })
}

/// Checks a token (a CMS `ContentInfo`, DER) for `imprint` (and `nonce`, when known): its
/// `genTime` when it holds.
pub fn check_token(
    token: &[u8],
    imprint: &[u8; 32],
    nonce: Option<u64>,
    cas: &[CapturedX509Certificate],
) -> Result<String, TsaError> {
    let signed = SignedData::parse_ber(token).map_err(malformed)?;
    let content = signed
        .signed_content()
        .ok_or_else(|| TsaError::Malformed("the token has no TSTInfo".into()))?;
    let info = bcder::decode::Constructed::decode(content, Mode::Der, TstInfo::take_from)
        .map_err(malformed)?;
    let sha256: x509_certificate::rfc5280::AlgorithmIdentifier = DigestAlgorithm::Sha256.into();
    if info.message_imprint.hash_algorithm.algorithm != sha256.algorithm
        || info.message_imprint.hashed_message.to_bytes().as_ref() != imprint
    {
        return Err(TsaError::Imprint);
    }
    if let Some(nonce) = nonce
        && info.nonce != Some(Integer::from(nonce))
    {
        return Err(TsaError::Nonce);
    }
    let mut signers = signed.signers().peekable();
    if signers.peek().is_none() {
        return Err(TsaError::Signature("no signer".into()));
    }
    for signer in signers {
        signer
            .verify_signature_with_signed_data(&signed)
            .map_err(|e| TsaError::Signature(e.to_string()))?;
        signer
            .verify_message_digest_with_signed_data(&signed)
            .map_err(|e| TsaError::Signature(e.to_string()))?;
        // the content is a TSTInfo, as the signed attributes say
        if let Some(attrs) = signer.signed_attributes()
            && attrs.content_type() != &OID_CONTENT_TYPE_TST_INFO
        {
            return Err(TsaError::Signature(
                "signed content is not a TSTInfo".into(),
            ));
        }
        let (issuer, serial) = signer
            .certificate_issuer_and_serial()
            .ok_or_else(|| TsaError::Signature("no signer certificate reference".into()))?;
        let cert = signed
            .certificates()
            .find(|c| c.issuer_name() == issuer && c.serial_number_asn1() == serial)
            .ok_or_else(|| {
                TsaError::Signature("the signer's certificate is not in the token".into())
            })?;
        let trusted = cas.iter().any(|ca| {
            ca.constructed_data() == cert.constructed_data()
                || cert.verify_signed_by_certificate(ca).is_ok()
        });
        if !trusted {
            return Err(TsaError::Untrusted);
        }
    }
    let at: chrono::DateTime<chrono::Utc> = info.gen_time.into();
    Ok(crate::store::timestamp(at))
}

/// The certificates of a PEM file (the TSA's CA, or the TSA's own certificate).
pub fn certificates(pem: &[u8]) -> Result<Vec<CapturedX509Certificate>, String> {
    let certs = CapturedX509Certificate::from_pem_multiple(pem).map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate in it".into());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_carries_the_imprint_the_nonce_and_asks_for_the_certificate() {
        let der = request(&[7u8; 32], 0x0102_0304_0506_0708);
        let req =
            bcder::decode::Constructed::decode(der.as_slice(), Mode::Der, TimeStampReq::take_from)
                .unwrap();
        assert_eq!(
            req.message_imprint.hashed_message.to_bytes().as_ref(),
            &[7u8; 32]
        );
        assert_eq!(req.nonce, Some(Integer::from(0x0102_0304_0506_0708u64)));
        assert_eq!(req.cert_req, Some(true));
    }

    #[test]
    fn garbage_is_no_response() {
        assert!(matches!(
            check(b"\x30\x03\x02\x01", &[0; 32], 1, &[]),
            Err(TsaError::Malformed(_))
        ));
        assert!(matches!(
            check_token(b"nope", &[0; 32], None, &[]),
            Err(TsaError::Malformed(_))
        ));
    }
}
