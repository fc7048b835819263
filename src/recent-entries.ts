/**
 * Puts `entry` under `key` as the most recently asked-for, then drops the least recently asked-for
 * entries beyond `maxEntries`. A Map's insertion order is the recency order: re-inserting moves a key last.
 */
export function keepMostRecent<K, V>(entries: Map<K, V>, key: K, entry: V, maxEntries: number): void {
  entries.delete(key);
  entries.set(key, entry);
  for (const oldest of entries.keys()) {
    if (entries.size <= maxEntries) break;
    entries.delete(oldest);
  }
}
