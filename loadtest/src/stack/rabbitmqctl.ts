/** Names of the broker's queues or exchanges that start with a prefix, from `rabbitmqctl` (empty when it is not available). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function brokerNames(kind: 'queues' | 'exchanges', prefix: string): Promise<string[]> {
  try {
    const { stdout } = await run('rabbitmqctl', [`list_${kind}`, '--quiet', '--no-table-headers', 'name'], {
      timeout: 30_000,
    });
    return stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
}
