/**
 * `list` with `item` added, for lists that usually hold one item: the first makes a one-slot
 * array, where a push onto `[]` reserves 16 slots (about 175 bytes with the header; tens of
 * thousands of users and threshold windows hold such lists). Later items are pushed.
 * Use as `list = appended(list, item)`.
 */
export function appended<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}
