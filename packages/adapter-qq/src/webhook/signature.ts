import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

// PKCS#8 DER prefix for a raw 32-byte Ed25519 seed (RFC 8410).
const Pkcs8Ed25519Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The bot's webhook key pair. */
export interface WebhookKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * The platform derives the webhook's Ed25519 key from the bot secret: the secret repeated until it
 * is at least 32 bytes long, cut to 32, is the seed.
 * @see https://bot.q.qq.com/wiki/develop/api-v2/dev-prepare/interface-framework/sign.html
 * @throws TypeError when the secret is empty.
 */
export function webhookKeys(secret: string): WebhookKeys {
  if (!secret) throw new TypeError('the QQ bot secret is empty');
  let seed = secret;
  while (Buffer.byteLength(seed) < 32) seed = seed.repeat(2);
  const seedBytes = Buffer.from(seed).subarray(0, 32);
  const privateKey = createPrivateKey({ key: Buffer.concat([Pkcs8Ed25519Prefix, seedBytes]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** Answer to callback-URL validation (op 13): the signature of `event_ts + plain_token`, hex. */
export function signValidation(keys: WebhookKeys, eventTs: string, plainToken: string): string {
  return sign(null, Buffer.from(eventTs + plainToken), keys.privateKey).toString('hex');
}

/**
 * Check `X-Signature-Ed25519` over `X-Signature-Timestamp` + the raw body, exactly as received.
 * Malformed signatures (not 64 bytes of hex, or with the high bits of the last byte set) are refused.
 */
export function verifyDispatch(keys: WebhookKeys, timestamp: string, rawBody: Buffer, signatureHex: string): boolean {
  if (!/^[0-9a-f]{128}$/i.test(signatureHex)) return false;
  const signature = Buffer.from(signatureHex, 'hex');
  if ((signature[63]! & 224) !== 0) return false;
  return verify(null, Buffer.concat([Buffer.from(timestamp), rawBody]), keys.publicKey, signature);
}
