import { lambdaErrors } from '../errors.ts';

/**
 * Lambda's quotas for a .zip package uploaded directly (Code.ZipFile), as Lambda states them in
 * its errors: the zip itself, the whole request carrying it base64-encoded, and the unpacked files.
 */
export const CODE_SIZE_ZIPPED = 52_428_800;
export const CODE_SIZE_UNZIPPED = 262_144_000;
export const CODE_REQUEST_SIZE = 70_167_211;

/**
 * Checks a CreateFunction / UpdateFunctionCode request before its zip is decoded. Lambda names the
 * zip's size first, then the request's.
 */
export function checkUploadSize(operation: string, requestBytes: number, zipFileBase64: unknown): void {
  if (typeof zipFileBase64 === 'string' && decodedLength(zipFileBase64) > CODE_SIZE_ZIPPED) {
    throw lambdaErrors.zippedTooLarge(CODE_SIZE_ZIPPED);
  }
  if (requestBytes > CODE_REQUEST_SIZE) throw lambdaErrors.requestEntityTooLarge(CODE_REQUEST_SIZE, operation);
}

/** The decoded size of the zip, checked once it is decoded. */
export function checkZippedSize(zip: Uint8Array): void {
  if (zip.length > CODE_SIZE_ZIPPED) throw lambdaErrors.zippedTooLarge(CODE_SIZE_ZIPPED);
}

/** Bytes a base64 text decodes to, without decoding it. */
function decodedLength(base64: string): number {
  const trimmed = base64.replace(/=+\s*$/, '');
  return Math.floor((trimmed.length * 3) / 4);
}

/**
 * The body limit for a request to Lambda's code uploads (CreateFunction, UpdateFunctionCode),
 * above the server's usual one: such a request may be up to CODE_REQUEST_SIZE, and one larger
 * is refused in Lambda's words. Undefined for any other request.
 */
export function codeUploadBodyLimit(method: string | undefined, path: string) {
  const operation =
    method === 'POST' && /^\/2015-03-31\/functions\/?$/.test(path)
      ? 'CreateFunction'
      : method === 'PUT' && /^\/2015-03-31\/functions\/[^/]+\/code\/?$/.test(path)
        ? 'UpdateFunctionCode'
        : undefined;
  if (!operation) return undefined;
  // Read a little past the quota, so that an over-large zip is named as such (Lambda names the zip first).
  return { bytes: CODE_REQUEST_SIZE + 8 * 1024 * 1024, refusal: () => lambdaErrors.requestEntityTooLarge(CODE_REQUEST_SIZE, operation) };
}
