import { PassThrough } from 'node:stream';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConsoleAdapter, type InboundMessage } from '@switchboard/core';

function console_() {
  const input = new PassThrough();
  const output = new PassThrough();
  let written = '';
  output.on('data', (chunk: Buffer) => (written += chunk.toString()));
  const adapter = new ConsoleAdapter({ user: 'alice', input, output });
  return { adapter, input, output: () => written };
}

describe('ConsoleAdapter', () => {
  it('turns lines into messages from the configured identity and prints replies', async () => {
    const { adapter, input, output } = console_();
    const messages = firstValueFrom(adapter.inbound$.pipe(take(2), toArray()));
    await adapter.start();
    input.write('help\n\n  whoami  \n');
    const [first, second] = (await messages) as [InboundMessage, InboundMessage];
    expect(first).toMatchObject({ platform: 'console', from: { platform: 'console', id: 'alice' }, text: 'help', mentionsBot: true });
    expect(first.chat).toEqual({ platform: 'console', kind: 'dm', id: 'alice' });
    expect(second.text).toBe('whoami');
    expect(first.id).not.toBe(second.id);
    await adapter.send({ id: '1', to: first.chat, text: 'line 1\nline 2', attempt: 1 });
    await adapter.send({ id: '2', to: { platform: 'console', kind: 'dm', id: 'bob' }, text: 'for bob', attempt: 1 });
    expect(output()).toBe('bot> line 1\n     line 2\n[→ bob] for bob\n');
    await adapter.stop();
  });

  it('switches identity with :as and reports the end of input', async () => {
    const { adapter, input } = console_();
    const message = firstValueFrom(adapter.inbound$);
    const ended = firstValueFrom(adapter.end$);
    await adapter.start();
    input.write(':as carol\nstatus\n');
    expect((await message).from.id).toBe('carol');
    input.end();
    await ended;
    await adapter.stop();
  });
});
