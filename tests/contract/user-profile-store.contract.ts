import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.js';
import { Rng } from '../../shared/domain/random.js';
import type { UserProfileStore } from '../../shared/ports/stores.js';

/** The UserProfileStore contract; `factory` returns an empty store for each test. */
export function describeUserProfileStore(name: string, factory: () => Promise<UserProfileStore>): void {
  describe(`UserProfileStore contract (${name})`, () => {
    const genders = ['f', 'm', 'x'];
    const ages = ['10s', '20s', '30s', '40s', '50s'];
    const profiles = (n: number, rng = new Rng(21)) =>
      Array.from({ length: n }, (_, u) => ({
        userId: `user-${u}`,
        attributes: { GENDER: genders[rng.int(genders.length)], AGE_GROUP: ages[rng.int(ages.length)] },
      }));

    it('returns written profiles unchanged', async () => {
      const store = await factory();
      const written = profiles(60);
      await store.putProfiles(written);
      for (const p of written) expect(await store.getProfile(p.userId)).toEqual(p.attributes);
    });

    it('returns undefined for an unknown user', async () => {
      const store = await factory();
      await store.putProfiles(profiles(3));
      expect(await store.getProfile('stranger')).toBeUndefined();
    });

    it('keeps a user with no attributes distinct from an unknown one', async () => {
      const store = await factory();
      await store.putProfiles([{ userId: 'bare', attributes: {} }]);
      expect(await store.getProfile('bare')).toEqual({});
    });

    it('replaces a profile on rewrite', async () => {
      const store = await factory();
      await store.putProfiles([{ userId: 'u', attributes: { GENDER: 'f', AGE_GROUP: '20s' } }]);
      await store.putProfiles([{ userId: 'u', attributes: { GENDER: 'f' } }]);
      expect(await store.getProfile('u')).toEqual({ GENDER: 'f' });
    });

    it('rejects an empty user id', async () => {
      const store = await factory();
      await expect(store.putProfiles([{ userId: '', attributes: {} }])).rejects.toBeInstanceOf(
        ValidationError,
      );
    });
  });
}
