import { createSign, randomBytes, type KeyObject } from 'node:crypto';
import { bitString, boolean, explicit, nullValue, objectIdentifier, octetString, sequence, set, time, unsignedInteger, utf8String } from './der.ts';

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const COMMON_NAME = '2.5.4.3';
const ORGANIZATION = '2.5.4.10';
const KEY_USAGE = '2.5.29.15';
/** KeyUsage BIT STRING with only digitalSignature (bit 0) set: 7 unused bits, then 0x80. */
const DIGITAL_SIGNATURE_ONLY = Buffer.from([0x03, 0x02, 0x07, 0x80]);

export interface CertificateSubject {
  commonName: string;
  organization: string;
}

/**
 * A self-signed X.509 v3 certificate (PEM) for an RSA key pair: sha256WithRSAEncryption,
 * issuer = subject, key usage digital signature. SNS's own signing certificate is of this kind
 * (an RSA key whose certificate endpoints fetch from SigningCertURL), only issued by a CA.
 */
export function selfSignedCertificate(
  privateKey: KeyObject,
  publicKey: KeyObject,
  subject: CertificateSubject,
  notBefore: Date,
  notAfter: Date,
): string {
  const algorithm = sequence(objectIdentifier(SHA256_WITH_RSA), nullValue());
  const name = sequence(
    set(sequence(objectIdentifier(ORGANIZATION), utf8String(subject.organization))),
    set(sequence(objectIdentifier(COMMON_NAME), utf8String(subject.commonName))),
  );
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // positive, at most 20 octets (RFC 5280)
  const tbs = sequence(
    explicit(0, unsignedInteger(Buffer.from([2]))), // v3
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(sequence(objectIdentifier(KEY_USAGE), boolean(true), octetString(DIGITAL_SIGNATURE_ONLY)))),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const der = sequence(tbs, algorithm, bitString(signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
