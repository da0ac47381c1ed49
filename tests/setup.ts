import '../shared/polyfills.js';
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import { expect } from 'vitest';

// toHaveReceivedCommandWith & co. for aws-sdk-client-mock tests
expect.extend(allCustomMatcher);
