import type { ActionKind } from '../ActionKind.js';
import { execAction } from './exec.js';
import { homeAssistantAction, mqttAction, webSocketAction } from './feedKinds.js';
import { httpAction } from './http.js';

/** The `do:` kinds the relay brings; its actions plugin registers them through `ctx.action` like any other. */
export const builtinActionKinds: Readonly<Record<string, ActionKind<unknown>>> = {
  homeassistant: homeAssistantAction as ActionKind<unknown>,
  mqtt: mqttAction as ActionKind<unknown>,
  http: httpAction as ActionKind<unknown>,
  exec: execAction as ActionKind<unknown>,
  websocket: webSocketAction as ActionKind<unknown>,
};
