import { describe, expect, it } from 'vitest';
import { withMongoDatabase } from './servers.js';

describe('withMongoDatabase', () => {
  it('swaps the database of a seed list, keeping hosts, credentials and options', () => {
    expect(withMongoDatabase('mongodb://u:p@a:1,b:2/old?replicaSet=rs', 'run42')).toBe(
      'mongodb://u:p@a:1,b:2/run42?replicaSet=rs',
    );
    expect(withMongoDatabase('mongodb://127.0.0.1:27017', 'x')).toBe('mongodb://127.0.0.1:27017/x');
  });
});
