// `npm start` keeps each service running: a service that exits on its own is started again after a
// delay that doubles with every quick failure (1 s, 2 s, 4 s … 30 s; back to 1 s once it stayed up
// 30 s), and the console says so. stop() ends it for good: SIGTERM, SIGKILL after the grace period.
// Plain Node with no dependencies: it runs before anything is installed.

/** Delay before restart number `failures` (1 = the first restart after a quick failure). */
export function restartDelayMs(failures, { initialMs = 1000, maxMs = 30_000 } = {}) {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
}

/**
 * start(): a new ChildProcess of the service. log(msg): one console line. Returns { stop(), restarts }.
 * stableMs: how long a run must last for the next failure to count as the first again.
 */
export function supervise({ name, start, log, stableMs = 30_000, initialMs = 1000, maxMs = 30_000 }) {
  let child;
  let startedAt = 0;
  let failures = 0;
  let restarts = 0;
  let timer;
  let stopping = false;

  const launch = () => {
    startedAt = Date.now();
    child = start();
    child.once('exit', (code, signal) => onExit(code, signal));
  };

  const onExit = (code, signal) => {
    if (stopping) return;
    failures = Date.now() - startedAt >= stableMs ? 1 : failures + 1;
    const delay = restartDelayMs(failures, { initialMs, maxMs });
    log(`${name} exited (${signal ?? `code ${code}`}); restarting it in ${delay / 1000} s`);
    timer = setTimeout(() => {
      timer = undefined;
      if (stopping) return;
      restarts += 1;
      launch();
      log(`${name} restarted (pid ${child.pid}, restart ${restarts})`);
    }, delay);
  };

  launch();
  return {
    get pid() {
      return child.pid;
    },
    get restarts() {
      return restarts;
    },
    /** Stops the service for good; resolves when its process has exited. */
    stop(graceMs = 12_000) {
      stopping = true;
      clearTimeout(timer);
      const c = child;
      if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const kill = setTimeout(() => c.kill('SIGKILL'), graceMs);
        c.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        c.kill('SIGTERM');
      });
    },
  };
}
