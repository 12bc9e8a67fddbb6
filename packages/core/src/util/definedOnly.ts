/**
 * A copy of `value` without its `undefined` properties, so `{ ...defaults, ...definedOnly(options) }`
 * keeps a default where an option was passed as `undefined` (common with exactOptionalPropertyTypes).
 */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
