/** Item attributes (items.csv columns) of a published version, for response metadata and category fallbacks. */
export interface ItemAttributeStore {
  /** Writes the attributes of many items for a version (multi-valued fields as `a|b`). */
  putAttributes(
    version: string,
    records: readonly { itemId: string; attributes: Readonly<Record<string, string>> }[],
  ): Promise<void>;
  /** The attributes of the given items (items without any are absent). */
  getAttributes(
    version: string,
    itemIds: readonly string[],
  ): Promise<Map<string, Readonly<Record<string, string>>>>;
}
