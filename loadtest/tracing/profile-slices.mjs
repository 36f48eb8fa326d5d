/**
 * Where each mode's CPU per message went, from the V8 profiles `bench.mjs --profile` has the services write:
 * only the samples taken during the mode's measured slices count (profiles and slices share the monotonic
 * clock), divided by the messages of those slices, so start-up, warm-up and the time a stack sat idle
 * while another was loaded are left out. Self time by area (an npm package, Node's internals, our packages,
 * GC), the time owed to tracing (what its code and the Node internals it calls cost, async hooks included)
 * and the functions that differ most between two modes, in µs per message.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A coarse owner of a frame: the npm package (@opentelemetry/* as one), Node's own code, ours, or V8. */
function areaOf(url, functionName) {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1].startsWith('@opentelemetry/') ? '@opentelemetry/*' : pkg[1];
  if (url.startsWith('node:')) return 'node:*';
  const ours = /\/(apps|packages)\/([^/]+)\//.exec(url);
  return ours ? `${ours[1]}/${ours[2]}` : url;
}

/** The tracing code: the OpenTelemetry packages and the telemetry package's tracing modules (not its metrics). */
const TRACING =
  /@opentelemetry\/|packages\/telemetry\/dist\/(spans|messaging-spans|sampled-context|amqp-context|span-policy|start-telemetry)\.js/;

const functionOf = ({ functionName, url, lineNumber }) =>
  `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|apps|packages)\//, '$1/')}:${lineNumber + 1}` : ''}`;

/**
 * Whether a sample's time is owed to tracing: its nearest frame that is not Node's own (node:*) or native
 * is tracing code, so what the exporter's HTTP request or a span's Buffer costs inside Node counts too;
 * async hooks (AsyncLocalStorage) count as tracing.
 */
function tracingOwner(nodes, parents) {
  const memo = new Map();
  const owned = (id) => {
    if (memo.has(id)) return memo.get(id);
    const { functionName, url } = nodes.get(id).callFrame;
    let result;
    if (functionName === 'setPromiseHooks' || /async_hooks/.test(url)) result = true;
    else if (url !== '' && !url.startsWith('node:')) result = TRACING.test(url);
    else result = parents.has(id) ? owned(parents.get(id)) : false;
    memo.set(id, result);
    return result;
  };
  return owned;
}

/** Self time (ms) by area and by function of the samples inside `windows` ([from, to] in µs), and tracing's. */
function selfTimeIn(file, windows) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parents = new Map(p.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n.id])));
  const owedToTracing = tracingOwner(nodes, parents);
  let tracing = 0;
  const byArea = new Map();
  const byFunction = new Map();
  let t = p.startTime;
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    if (!windows.some(([from, to]) => t >= from && t < to)) continue;
    const node = nodes.get(samples[i]);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    // each sample's time is the delta to the next one
    const ms = (deltas[i + 1] ?? 0) / 1000;
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    const fn = functionOf(node.callFrame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    if (!node.callFrame.functionName.startsWith('(') && owedToTracing(node.id)) tracing += ms;
  }
  return { byArea, byFunction, tracing };
}

const cell = (v) => (v === undefined ? '–' : v.toFixed(2));

/**
 * Markdown tables for one scenario: per process, µs of self time per message by area for every mode, and
 * the functions whose time per message grew most from `base` to `compared`.
 */
export function profileTables({ dir, scenario, modes, slices, processes, base, compared, top = 12 }) {
  const lines = [];
  for (const proc of processes) {
    const perMode = new Map();
    for (const mode of modes) {
      const file = path.join(dir, `${scenario}-${mode.tag}-${proc}.cpuprofile`);
      const own = slices.filter((s) => s.mode === mode.name);
      const messages = own.reduce((n, s) => n + s.messages, 0);
      if (!existsSync(file) || messages === 0) continue;
      const { byArea, byFunction, tracing } = selfTimeIn(
        file,
        own.map((s) => [s.fromUs, s.toUs]),
      );
      const perMessage = (m) => new Map([...m].map(([k, ms]) => [k, (ms * 1000) / messages]));
      perMode.set(mode.name, {
        areas: perMessage(byArea),
        functions: perMessage(byFunction),
        tracing: (tracing * 1000) / messages,
      });
    }
    if (perMode.size === 0) continue;
    const names = [...perMode.keys()];
    const total = (name) => [...perMode.get(name).areas.values()].reduce((a, b) => a + b, 0);
    const areas = [...new Set(names.flatMap((n) => [...perMode.get(n).areas.keys()]))]
      .map((area) => [area, Math.max(...names.map((n) => perMode.get(n).areas.get(area) ?? 0))])
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area]) => area);
    lines.push(
      `${scenario}, ${proc}: µs of CPU (self time in the V8 profile) per message, measured slices only`,
      '',
      `| area | ${names.join(' | ')} |`,
      `| --- | ${names.map(() => '---:').join(' | ')} |`,
      `| all | ${names.map((n) => cell(total(n))).join(' | ')} |`,
      `| tracing (Node's internals charged to their caller) | ${names.map((n) => cell(perMode.get(n).tracing)).join(' | ')} |`,
      ...areas.map((a) => `| ${a} | ${names.map((n) => cell(perMode.get(n).areas.get(a))).join(' | ')} |`),
      '',
    );
    const from = perMode.get(base);
    const to = perMode.get(compared);
    if (!from || !to) continue;
    const grown = [...new Set([...from.functions.keys(), ...to.functions.keys()])]
      .map((fn) => [fn, (to.functions.get(fn) ?? 0) - (from.functions.get(fn) ?? 0)])
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
    lines.push(
      `${scenario}, ${proc}: functions whose self time per message grew most from ${base} to ${compared}`,
      '',
      `| function | ${base} | ${compared} | difference |`,
      '| --- | ---: | ---: | ---: |',
      ...grown.map(
        ([fn, d]) =>
          `| \`${fn.trim()}\` | ${cell(from.functions.get(fn) ?? 0)} | ${cell(to.functions.get(fn) ?? 0)} | ${d >= 0 ? '+' : ''}${d.toFixed(2)} |`,
      ),
      '',
    );
  }
  return lines;
}
