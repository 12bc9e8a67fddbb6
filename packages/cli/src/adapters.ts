import { qqModule } from '@switchboard/adapter-qq';
import { wechatModule } from '@switchboard/adapter-wechat';
import { consoleModule, type AdapterModule } from '@switchboard/core';

/** Adapter modules this build of the CLI can start, by their `adapters.<name>` key. */
export const knownAdapters: readonly AdapterModule<never>[] = [consoleModule, qqModule, wechatModule] as AdapterModule<never>[];
