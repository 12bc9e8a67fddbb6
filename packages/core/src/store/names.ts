/** Document keys every store accepts: what a file name can safely be (letters, digits, `.`, `_`, `-`; 64 at most). */
const KeyPattern = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
/** Journal names: as keys, without dots (the file store's segments are `<name>.<n>.jsonl`). */
const JournalNamePattern = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** @throws TypeError naming a key no store may use. */
export function assertStoreKey(key: string): void {
  if (!KeyPattern.test(key)) throw new TypeError(`"${key}" is not a valid store key`);
}

/** @throws TypeError naming a journal name no store may use. */
export function assertJournalName(name: string): void {
  if (!JournalNamePattern.test(name)) throw new TypeError(`"${name}" is not a valid journal name`);
}
