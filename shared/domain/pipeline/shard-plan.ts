import { ValidationError } from '../errors.js';

/** A contiguous range of dense user indices [from, to) scored by one Lambda invocation. */
export interface ShardDescriptor {
  readonly index: number;
  readonly from: number;
  readonly to: number;
}

/**
 * Splits `users` dense user indices into shards of at most `shardUsers` users. The plan is passed to
 * the Map state as an array of descriptors (no ItemReader), so the same ASL runs locally.
 */
export function planShards(users: number, shardUsers: number): ShardDescriptor[] {
  if (!Number.isInteger(users) || users < 0)
    throw new ValidationError(`users must be >= 0, got ${users}`, 'users');
  if (!Number.isInteger(shardUsers) || shardUsers < 1)
    throw new ValidationError(`shardUsers must be a positive integer, got ${shardUsers}`, 'shardUsers');
  const shards: ShardDescriptor[] = [];
  for (let from = 0, index = 0; from < users; from += shardUsers, index++) {
    shards.push({ index, from, to: Math.min(users, from + shardUsers) });
  }
  return shards;
}
