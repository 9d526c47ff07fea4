"""Build the root-CA bundle the firmware checks ThingSpeak's TLS certificate against.

The bundle is the format arduino-esp32 3.x's ``NetworkClientSecure::setCACertBundle`` reads (the one its
``tools/gen_crt_bundle.py`` writes): a big-endian 16-bit count, then per root CA, sorted by subject, the
16-bit lengths of its DER subject name and DER public key (SubjectPublicKeyInfo) and the two themselves.
mbedTLS then accepts a server chain that ends at one of these roots. Only the standard library: the DER
of a certificate is walked directly.

Usage (from the repository root)::

    python firmware/tools/gen_ca_bundle.py                       # from /etc/ssl/certs/ca-certificates.crt
    python firmware/tools/gen_ca_bundle.py --input roots.pem --output firmware/data/cert/x509_crt_bundle.bin

References
----------
espressif/arduino-esp32, ``tools/gen_crt_bundle.py`` (the bundle layout); ITU-T X.690 (DER); RFC 5280 4.1
(the order of the TBSCertificate fields).
"""

from __future__ import annotations

import argparse
import base64
import logging
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INPUT = Path("/etc/ssl/certs/ca-certificates.crt")
DEFAULT_OUTPUT = ROOT / "firmware" / "data" / "cert" / "x509_crt_bundle.bin"
PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.S)

log = logging.getLogger("gen_ca_bundle")


class CertificateFormatError(ValueError):
    """A certificate whose DER is not the X.509 structure RFC 5280 describes."""


@dataclass(frozen=True)
class BundleEntry:
    """The two parts of a root CA the bundle keeps."""

    subject_der: bytes
    public_key_der: bytes


def _tlv(der: bytes, pos: int) -> tuple[int, int, int]:
    """Tag, start of the value and end of the element that begins at ``pos``."""
    if pos + 2 > len(der):
        raise CertificateFormatError("truncated element")
    tag, length = der[pos], der[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(der):
            raise CertificateFormatError("bad length")
        length = int.from_bytes(der[pos:pos + n], "big")
        pos += n
    if pos + length > len(der):
        raise CertificateFormatError("element longer than the certificate")
    return tag, pos, pos + length


def bundle_entry(cert_der: bytes) -> BundleEntry:
    """Subject and SubjectPublicKeyInfo (both as DER) of one certificate."""
    tag, cert_start, _ = _tlv(cert_der, 0)
    tag_tbs, tbs_start, tbs_end = _tlv(cert_der, cert_start)
    if tag != 0x30 or tag_tbs != 0x30:
        raise CertificateFormatError("not a certificate")
    fields = []
    pos = tbs_start
    while pos < tbs_end:
        field_tag, _, end = _tlv(cert_der, pos)
        fields.append((field_tag, pos, end))
        pos = end
    if fields and fields[0][0] == 0xA0:  # [0] version, absent in v1 certificates
        fields = fields[1:]
    # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    if len(fields) < 6 or fields[4][0] != 0x30 or fields[5][0] != 0x30:
        raise CertificateFormatError("TBSCertificate fields out of order")
    subject, spki = fields[4], fields[5]
    return BundleEntry(cert_der[subject[1]:subject[2]], cert_der[spki[1]:spki[2]])


def pem_certificates(text: str) -> list[bytes]:
    """The DER of every certificate in a PEM text."""
    return [base64.b64decode("".join(block.split())) for block in PEM.findall(text)]


def build_bundle(certs_der: list[bytes]) -> bytes:
    """The bundle of ``certs_der`` (duplicates by subject and key dropped)."""
    entries = sorted({bundle_entry(der) for der in certs_der}, key=lambda e: e.subject_der)
    if not entries or len(entries) > 0xFFFF:
        raise ValueError(f"a bundle holds 1 to 65535 roots, got {len(entries)}")
    out = bytearray(struct.pack(">H", len(entries)))
    for e in entries:
        out += struct.pack(">HH", len(e.subject_der), len(e.public_key_der)) + e.subject_der + e.public_key_der
    return bytes(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="root-CA bundle for NetworkClientSecure::setCACertBundle")
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT, help="PEM file of root certificates")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    certs = pem_certificates(args.input.read_text())
    bundle = build_bundle(certs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(bundle)
    log.info("%s: %d roots from %s, %d bytes", args.output, struct.unpack(">H", bundle[:2])[0], args.input, len(bundle))
    return 0


if __name__ == "__main__":
    sys.exit(main())
