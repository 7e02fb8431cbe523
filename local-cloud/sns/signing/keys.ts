import { createPrivateKey, createHash, generateKeyPair, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { selfSignedCertificate } from './certificate.ts';

const generateRsa = promisify(generateKeyPair);

/** The cloud's SNS signing identity: an RSA key and the certificate SigningCertURL serves. */
export interface SigningMaterial {
  privateKey: KeyObject;
  certificatePem: string;
  /** File name under /_localcloud/sns/: changes with the certificate, so no validator's cache goes stale. */
  certificateFile: string;
}

const KEY_FILE = 'private-key.pem';
const CERTIFICATE_FILE = 'certificate.pem';
const VALIDITY_MS = 3 * 365 * 24 * 3600 * 1000;
/** A certificate this close to its end is replaced at start-up. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/**
 * Loads the key pair and certificate kept in DATA/sns/signing/ (the key readable by the owner
 * only), or makes new ones: the same certificate across restarts, so a message signed before a
 * restart still verifies after it. Without a data folder they live in memory.
 */
export async function loadOrCreateSigningMaterial(dataDir: string | null): Promise<SigningMaterial> {
  const folder = dataDir ? join(dataDir, 'sns', 'signing') : null;
  if (folder) {
    const kept = await readKept(folder);
    if (kept) return kept;
  }
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const now = Date.now();
  const certificatePem = selfSignedCertificate(
    privateKey,
    publicKey,
    { commonName: 'sns.local-cloud.localhost', organization: 'Local cloud (not Amazon)' },
    new Date(now - 24 * 3600 * 1000),
    new Date(now + VALIDITY_MS),
  );
  if (folder) {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await writeAtomically(join(folder, KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
    await writeAtomically(join(folder, CERTIFICATE_FILE), certificatePem, 0o644);
  }
  return { privateKey, certificatePem, certificateFile: certificateFileName(certificatePem) };
}

async function readKept(folder: string): Promise<SigningMaterial | undefined> {
  try {
    const [keyPem, certificatePem] = await Promise.all([
      readFile(join(folder, KEY_FILE), 'utf8'),
      readFile(join(folder, CERTIFICATE_FILE), 'utf8'),
    ]);
    const privateKey = createPrivateKey(keyPem);
    const certificate = new X509Certificate(certificatePem);
    if (!certificate.checkPrivateKey(privateKey)) return undefined;
    if (Date.parse(certificate.validTo) - Date.now() < RENEW_BEFORE_MS) return undefined;
    return { privateKey, certificatePem, certificateFile: certificateFileName(certificatePem) };
  } catch {
    return undefined; // missing or damaged: make new ones
  }
}

function certificateFileName(certificatePem: string): string {
  return `SimpleNotificationService-${createHash('sha256').update(certificatePem).digest('hex').slice(0, 32)}.pem`;
}

async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, file);
}
