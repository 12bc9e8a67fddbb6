import { sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signValidation, verifyDispatch, webhookKeys } from '@switchboard/adapter-qq';

describe('webhook signatures', () => {
  it('reproduces the platform’s published validation vector (appid 11111111)', () => {
    const keys = webhookKeys('DG5g3B4j9X2KOErG');
    const signature = signValidation(keys, '1725442341', 'Arq0D5A61EgUu4OxUvOp');
    expect(signature).toBe(
      '87befc99c42c651b3aac0278e71ada338433ae26fcb24307bdc5ad38c1adc2d01bcfcadc0842edac85e85205028a1132afe09280305f13aa6909ffc2d652c706',
    );
  });

  it('derives the documented public key from the demo secret', () => {
    const keys = webhookKeys('naOC0ocQE3shWLAfffVLB1rhYPG7');
    const raw = keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    expect([...raw.subarray(0, 4)]).toEqual([215, 195, 98, 254]);
  });

  it('accepts a genuine dispatch signature and refuses forged, altered or malformed ones', () => {
    const keys = webhookKeys('DG5g3B4j9X2KOErG');
    const body = Buffer.from('{"op":0,"d":{"content":"hi"},"t":"C2C_MESSAGE_CREATE"}');
    const good = sign(null, Buffer.concat([Buffer.from('1725442341'), body]), keys.privateKey).toString('hex');
    expect(verifyDispatch(keys, '1725442341', body, good)).toBe(true);
    expect(verifyDispatch(keys, '1725442342', body, good)).toBe(false);
    expect(verifyDispatch(keys, '1725442341', Buffer.from(body.toString().replace('hi', 'ho')), good)).toBe(false);
    const other = webhookKeys('someone-else-secret');
    const forged = sign(null, Buffer.concat([Buffer.from('1725442341'), body]), other.privateKey).toString('hex');
    expect(verifyDispatch(keys, '1725442341', body, forged)).toBe(false);
    expect(verifyDispatch(keys, '1725442341', body, 'abc')).toBe(false);
  });
});
