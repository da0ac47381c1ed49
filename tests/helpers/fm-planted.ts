/** Planted-preference dataset shared by the FM tests. */
import { DatasetBuilder } from '../../shared/domain/data/builder.js';
import type { Dataset } from '../../shared/domain/data/dataset.js';
import { Rng } from '../../shared/domain/random.js';

export const ITEMS_PER_CATEGORY = 20;

/**
 * Planted preference: users with GENDER=f interact with category A items (i0..i19), GENDER=m with category
 * B items (i20..i39). Also adds a user `cold-f` with attributes but no interactions.
 */
export function plantedDataset(seed = 7): Dataset {
  const rng = new Rng(seed);
  const b = new DatasetBuilder();
  for (let i = 0; i < 2 * ITEMS_PER_CATEGORY; i++) {
    b.addItem(`i${i}`, { CATEGORY: i < ITEMS_PER_CATEGORY ? 'A' : 'B' });
  }
  for (let u = 0; u < 60; u++) {
    const female = u % 2 === 0;
    b.addUser(`u${u}`, { GENDER: female ? 'f' : 'm', AGE: u % 3 === 0 ? 'young|student' : 'adult' });
    const base = female ? 0 : ITEMS_PER_CATEGORY;
    const picked = new Set<number>();
    while (picked.size < 6) picked.add(base + rng.int(ITEMS_PER_CATEGORY));
    let t = 1000;
    for (const i of picked) b.addInteraction(`u${u}`, `i${i}`, t++, 'view');
  }
  b.addUser('cold-f', { GENDER: 'f' });
  return b.build();
}

/** The CATEGORY attribute of item index `item`. */
export function category(ds: Dataset, item: number): string {
  const col = ds.itemAttributes[0];
  return col.dict.ids[col.values[col.offsets[item]]];
}
