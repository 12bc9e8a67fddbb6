import { describe, expect, it } from 'vitest';
import { parseCommand } from '@switchboard/core';

const brief = (text: string, prefix?: string) => {
  const p = parseCommand(text, prefix ? { prefix } : {});
  return p && { name: p.name, args: p.args, argText: p.argText, assignment: p.assignment, prefixed: p.prefixed };
};

describe('parseCommand', () => {
  it('reads a bare name and a slash name alike', () => {
    expect(brief('status')).toEqual({ name: 'status', args: [], argText: '', assignment: false, prefixed: false });
    expect(brief('/status')).toEqual({ name: 'status', args: [], argText: '', assignment: false, prefixed: true });
    expect(brief('  STATUS  ')?.name).toBe('status');
  });

  it('reads settings typed as set x:v, set x v, x:v and with the full-width colon', () => {
    const expected = { name: 'temp', args: ['25'], argText: '25', assignment: true };
    expect(brief('set temp:25')).toMatchObject(expected);
    expect(brief('set temp 25')).toMatchObject(expected);
    expect(brief('temp:25')).toMatchObject(expected);
    expect(brief('temp：25')).toMatchObject(expected);
    expect(brief('temp： 25')).toMatchObject(expected);
    expect(brief('/set temp:25')).toMatchObject({ ...expected, prefixed: true });
    expect(brief('set temp')).toMatchObject({ name: 'temp', args: [], assignment: true });
  });

  it('strips leading mentions in the forms people type and platforms send', () => {
    expect(brief('@bot status')?.name).toBe('status');
    expect(brief('@机器人 @bot  promote bob admin')).toMatchObject({ name: 'promote', args: ['bob', 'admin'] });
    expect(brief('<@!1234> whoami')?.name).toBe('whoami');
    expect(brief('@bot\u3000help')?.name).toBe('help');
  });

  it('honours a configured prefix, including a full-width one', () => {
    expect(brief('!status', '!')).toMatchObject({ name: 'status', prefixed: true });
    expect(brief('！status', '!')).toMatchObject({ name: 'status', prefixed: true });
    expect(brief('status', '!')).toMatchObject({ name: 'status', prefixed: false });
    expect(brief('/status', '!')).toMatchObject({ name: 'status', prefixed: true });
  });

  it('keeps arguments with spaces and colons after the first word', () => {
    expect(brief('say hello: world')).toMatchObject({ name: 'say', argText: 'hello: world', assignment: false });
    expect(brief('note:a:b')).toMatchObject({ name: 'note', argText: 'a:b' });
  });

  it('returns undefined for messages with no command', () => {
    expect(parseCommand('')).toBeUndefined();
    expect(parseCommand('   ')).toBeUndefined();
    expect(parseCommand('@bot')).toBeUndefined();
    expect(parseCommand('/')).toBeUndefined();
  });
});
