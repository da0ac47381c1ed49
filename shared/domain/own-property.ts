/**
 * Lookups of values that come from outside (a request, a CSV, a stored event) in plain objects. A plain
 * `record[key]` finds inherited members too: `constructor`, `__proto__` or `toString` would pass a check
 * and then break whatever uses the value. These helpers only ever see the record's own properties.
 */

/** `record[key]` when `key` is an own property of `record`, else undefined. */
export function ownValue<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Whether `key` is an own property of `record` (never an inherited member such as `constructor`). */
export function hasOwnKey(record: object, key: string): boolean {
  return Object.hasOwn(record, key);
}

/**
 * Sets `record[key] = value` as an own data property, also for `__proto__` (which plain assignment
 * would treat as the prototype setter and silently drop).
 */
export function setOwn<V>(record: Record<string, V>, key: string, value: V): void {
  // plain assignment is an own data property for every other key, and far cheaper on hot paths
  if (key !== '__proto__' && Object.getPrototypeOf(record) === Object.prototype) record[key] = value;
  else Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
}
