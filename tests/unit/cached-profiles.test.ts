import { describe, expect, it } from 'vitest';
import { MemoryUserProfileStore } from '../../shared/adapters/memory/user-profile-store.js';
import { CachedProfiles } from '../../shared/use-cases/cached-profiles.js';

function counting() {
  const inner = new MemoryUserProfileStore();
  let reads = 0;
  const get = inner.getProfile.bind(inner);
  inner.getProfile = async (id) => {
    reads++;
    return get(id);
  };
  return { inner, reads: () => reads };
}

describe('CachedProfiles', () => {
  it('reads a returning user from memory within the TTL', async () => {
    const { inner, reads } = counting();
    await inner.putProfiles([{ userId: 'u1', attributes: { GENDER: 'f' } }]);
    const cached = new CachedProfiles(inner, 60_000);
    expect(await cached.getProfile('u1')).toEqual({ GENDER: 'f' });
    expect(await cached.getProfile('u1')).toEqual({ GENDER: 'f' });
    expect(reads()).toBe(1);
  });

  it('remembers that a user is unknown', async () => {
    const { inner, reads } = counting();
    const cached = new CachedProfiles(inner, 60_000);
    expect(await cached.getProfile('nobody')).toBeUndefined();
    expect(await cached.getProfile('nobody')).toBeUndefined();
    expect(reads()).toBe(1);
  });

  it('reads again after the TTL', async () => {
    const { inner, reads } = counting();
    let now = 0;
    const cached = new CachedProfiles(inner, 1000, 10, () => now);
    await cached.getProfile('u1');
    now = 1500;
    await inner.putProfiles([{ userId: 'u1', attributes: { GENDER: 'm' } }]);
    expect(await cached.getProfile('u1')).toEqual({ GENDER: 'm' });
    expect(reads()).toBe(2);
  });
});
