// A keyword auto-reply plugin: the file a Switchboard user writes and lists under `plugins:`.
// It answers messages that contain a keyword (a middleware), lets people list the replies and
// admins add or remove their own (commands), and keeps those in its own store, so they survive
// restarts. No import from Switchboard is needed: a plugin is a plain object.
import { z } from 'zod';

const Reply = z.object({ keyword: z.string().min(1), reply: z.string().min(1) }).strict();

/** The YAML under `config:` of this plugin's entry. */
const Config = z
  .object({
    /** Replies from the config file; admins add more in chat with `autoreply add`. */
    replies: z.array(Reply).default([]),
    /** Match keywords regardless of case (for Latin letters). */
    ignoreCase: z.boolean().default(true),
    /** Also answer in groups when the bot is not mentioned. */
    inGroups: z.boolean().default(true),
  })
  .strict();

/** @param {{ keyword: string }[]} replies @param {string} text @param {boolean} ignoreCase */
function match(replies, text, ignoreCase) {
  const haystack = ignoreCase ? text.toLowerCase() : text;
  // The longest keyword wins: "天气预报" before "天气".
  return [...replies]
    .sort((a, b) => b.keyword.length - a.keyword.length)
    .find((r) => haystack.includes(ignoreCase ? r.keyword.toLowerCase() : r.keyword));
}

export default {
  name: 'autoreply',
  config: Config,
  /** @param {import('@switchboard/core').Context} ctx @param {z.infer<typeof Config>} config */
  async apply(ctx, config) {
    /** @type {{ keyword: string, reply: string }[]} */
    let added = (await ctx.store.get('replies')) ?? [];
    const all = () => [...config.replies, ...added];

    ctx.middleware(async (m, next) => {
      // Commands go first: "autoreply add 天气 …" must not be answered with the weather.
      const isCommand = m.text.startsWith('/') || ctx.host.registry.resolve(m.text.trim().split(/\s+/)[0] ?? '') !== undefined;
      const inGroup = m.message.chat.kind !== 'dm' && m.message.chat.kind !== 'user';
      const hit = isCommand || (inGroup && !config.inGroups && !m.message.mentionsBot) ? undefined : match(all(), m.text, config.ignoreCase);
      if (!hit) return next();
      ctx.logger.debug({ keyword: hit.keyword }, 'auto-reply');
      await m.reply(hit.reply);
    });

    ctx.command({
      name: 'autoreply',
      kind: 'set',
      minTier: 'user',
      description: 'List keyword replies; admins: autoreply add KEYWORD REPLY, autoreply remove KEYWORD',
      usage: '[add KEYWORD REPLY | remove KEYWORD]',
      minArgs: 0,
      async run(c) {
        const [action, keyword] = c.args;
        if (action === undefined) {
          const lines = all().map((r) => `${r.keyword} → ${r.reply}`);
          return c.reply(lines.length > 0 ? lines.join('\n') : 'No keyword replies yet.');
        }
        if (action !== 'add' && action !== 'remove') return c.reply(`Unknown action "${action}". Use add or remove.`);
        if (c.caller.tier !== 'admin' && c.caller.tier !== 'root') return c.reply(`"autoreply ${action}" needs admin or above.`);
        if (!keyword) return c.reply(`Usage: autoreply ${action === 'add' ? 'add KEYWORD REPLY' : 'remove KEYWORD'}`);
        if (action === 'add') {
          const reply = c.argText.replace(/^\S+\s+\S+\s*/, '').trim();
          if (!reply) return c.reply('Usage: autoreply add KEYWORD REPLY');
          const next = [...added.filter((r) => r.keyword !== keyword), { keyword, reply }];
          await ctx.store.set('replies', next);
          added = next;
          return c.reply(`Added: ${keyword} → ${reply}`);
        }
        if (!added.some((r) => r.keyword === keyword)) {
          const fromConfig = config.replies.some((r) => r.keyword === keyword);
          return c.reply(fromConfig ? `"${keyword}" comes from the config file; remove it there.` : `No reply for "${keyword}".`);
        }
        const next = added.filter((r) => r.keyword !== keyword);
        await ctx.store.set('replies', next);
        added = next;
        return c.reply(`Removed: ${keyword}`);
      },
    });
  },
};
