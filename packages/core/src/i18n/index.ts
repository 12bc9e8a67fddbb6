import { Catalog } from './Catalog.js';
import { en } from './en.js';
import { zhCN } from './zh-CN.js';

export * from './Locale.js';
export * from './Catalog.js';
export * from './duration.js';
export { en as coreMessagesEn } from './en.js';
export { zhCN as coreMessagesZhCN } from './zh-CN.js';

/** A catalog holding the core's messages, for a bridge (or a dispatcher) to add its plugins' to. */
export function coreCatalog(): Catalog {
  const catalog = new Catalog();
  catalog.add({ en, 'zh-CN': zhCN });
  return catalog;
}
