import { describe, expect, it } from 'vitest';
import { CommandRegistry, type CommandSpec, type RegistryChange } from '@switchboard/core';

const spec = (name: string, extra: Partial<CommandSpec> = {}): CommandSpec => ({
  name,
  kind: 'get',
  minTier: 'user',
  description: `${name} things`,
  run: () => undefined,
  ...extra,
});

describe('CommandRegistry', () => {
  it('registers, finds by alias, and emits each change on commands$', () => {
    const registry = new CommandRegistry();
    const changes: string[] = [];
    registry.commands$.subscribe((c: RegistryChange) => changes.push(`${c.type}:${c.command.name}`));
    const dispose = registry.register(spec('status', { aliases: ['st'] }));
    expect(registry.resolve('ST')?.name).toBe('status');
    registry.update('status', { description: 'new', minTier: 'admin' });
    expect(registry.resolve('status')).toMatchObject({ description: 'new', minTier: 'admin' });
    dispose();
    expect(registry.resolve('status')).toBeUndefined();
    expect(registry.resolve('st')).toBeUndefined();
    expect(changes).toEqual(['registered:status', 'updated:status', 'unregistered:status']);
  });

  it('refuses a name or alias that is taken, instead of silently replacing it', () => {
    const registry = new CommandRegistry();
    registry.register(spec('status', { aliases: ['st'] }));
    expect(() => registry.register(spec('status'))).toThrow('"status" is already a command');
    expect(() => registry.register(spec('stats', { aliases: ['st'] }))).toThrow('"st" is already an alias of status');
    expect(() => registry.update('nothing', {})).toThrow(/no such command/);
  });

  it('rejects malformed specs with a TypeError naming the problem', () => {
    const registry = new CommandRegistry();
    expect(() => registry.register(spec('two words'))).toThrow(TypeError);
    expect(() => registry.register(spec('x', { kind: 'poke' as never }))).toThrow(/kind must be get, set or control/);
    expect(() => registry.register(spec('x', { minTier: 'god' as never }))).toThrow(/minTier/);
  });

  it('gives set commands a usage and one required argument by default', () => {
    const registry = new CommandRegistry();
    registry.register(spec('temp', { kind: 'set' }));
    expect(registry.resolve('temp')).toMatchObject({ minArgs: 1, usage: '<value>' });
  });

  it('a stale disposer does not remove a later registration of the same name', () => {
    const registry = new CommandRegistry();
    const first = registry.register(spec('status'));
    first();
    registry.register(spec('status', { run: () => 'second' }));
    first();
    expect(registry.resolve('status')).toBeDefined();
  });

  it('applies config overrides, including to commands registered later, and reports unknown ones', () => {
    const registry = new CommandRegistry();
    registry.setOverrides({ status: { minTier: 'admin' }, reboot: { disabled: true }, ghost: { minTier: 'root' } });
    registry.register(spec('status'));
    registry.register(spec('reboot', { kind: 'control' }));
    expect(registry.resolve('status')?.minTier).toBe('admin');
    expect(registry.resolve('reboot')).toBeUndefined();
    expect(registry.list().map((c) => c.name)).toEqual(['status']);
    expect(registry.unknownOverrides()).toEqual(['ghost']);
  });
});
