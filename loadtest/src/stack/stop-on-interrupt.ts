/**
 * What a CLI that starts servers does when it is interrupted: Ctrl-C, SIGTERM, or nobody reading its
 * output any more (EPIPE on stdout or stderr, e.g. `npm run bench | head`). It stops the servers this run
 * started (`stop`) and exits at once, instead of dying of the write error with the servers still running.
 */
export function stopOnInterrupt(label: string, stop: () => void): void {
  const stopAndExit = (why: string, code: number) => {
    // stderr may be the closed pipe itself: saying why must not throw
    try {
      process.stderr.write(`[${label}] ${why}: stopping the servers this run started\n`);
    } catch {}
    stop();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopAndExit(signal, 130));
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // 141 = 128 + SIGPIPE, what a shell reports for a writer whose reader went away
      if (err.code === 'EPIPE') stopAndExit(`output closed (${stream === process.stdout ? 'stdout' : 'stderr'})`, 141);
      else throw err;
    });
  }
}
