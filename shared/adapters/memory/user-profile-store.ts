import type { UserProfileStore } from '../../ports/stores.js';
import type { UserAttributes } from '../../ports/types.js';
import { requireId } from '../validation.js';

/** In-memory UserProfileStore for unit tests. */
export class MemoryUserProfileStore implements UserProfileStore {
  private readonly profiles = new Map<string, Readonly<Record<string, string>>>();

  async putProfiles(profiles: readonly { userId: string; attributes: UserAttributes }[]): Promise<void> {
    const staged = profiles.map(
      ({ userId, attributes }) => [requireId('userId', userId), { ...attributes }] as const,
    );
    for (const [userId, attributes] of staged) this.profiles.set(userId, attributes);
  }

  async getProfile(userId: string): Promise<UserAttributes | undefined> {
    const attributes = this.profiles.get(requireId('userId', userId));
    return attributes ? { ...attributes } : undefined;
  }
}
