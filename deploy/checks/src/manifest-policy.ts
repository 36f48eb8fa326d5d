/**
 * What the rendered chart must guarantee beyond the API schemas (issue 6): hardened containers with
 * probes, resources and a drain-aware shutdown; each service gets exactly the connection settings it
 * uses, and the JWT secret only where tokens are verified; router replicas never exceed the partitions;
 * references between objects resolve; the web app has a host of its own on which every client-side
 * route is routed to it.
 */
import { SERVER_CLIENTS, SERVICES } from './services.js';
import type { Workspace } from './workspace.js';

/** A loosely typed rendered object: the schemas have already been checked. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered YAML, navigated after schema validation
  spec?: any;
  data?: Record<string, string>;
}

interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: unknown[];
  livenessProbe?: { httpGet?: { path?: string } };
  readinessProbe?: { httpGet?: { path?: string } };
  lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds?: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
}

const DRAIN_SECONDS = 10;

function containerProblems(where: string, c: Container, podSpec: { securityContext?: { runAsNonRoot?: boolean } }) {
  const problems: string[] = [];
  const sc = c.securityContext ?? {};
  if (sc.runAsNonRoot !== true && podSpec.securityContext?.runAsNonRoot !== true)
    problems.push(`${where}: runAsNonRoot is not set`);
  if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
  if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem must be true`);
  if (!sc.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities must drop ALL`);
  if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) problems.push(`${where}: no cpu/memory requests`);
  if (!c.resources?.limits?.memory) problems.push(`${where}: no memory limit`);
  return problems;
}

function preStopSeconds(c: Container): number {
  const preStop = c.lifecycle?.preStop;
  if (preStop?.sleep?.seconds !== undefined) return preStop.sleep.seconds;
  const command = preStop?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) : 0;
}

function deploymentProblems(d: K8sObject, workspace: Workspace, partitions: number | undefined): string[] {
  const problems: string[] = [];
  const component = d.metadata.labels?.['app.kubernetes.io/component'] ?? '';
  const where = `Deployment ${d.metadata.name}`;
  const facts = SERVICES.find((s) => s.name === component);
  if (!facts) return [`${where}: unknown component "${component}"`];
  const pod = d.spec?.template?.spec ?? {};
  const containers: Container[] = pod.containers ?? [];
  if (pod.automountServiceAccountToken !== false) problems.push(`${where}: automountServiceAccountToken must be false`);
  for (const c of containers) {
    const at = `${where}/${c.name}`;
    problems.push(...containerProblems(at, c, pod));
    if (c.livenessProbe?.httpGet?.path !== '/healthz') problems.push(`${at}: livenessProbe must GET /healthz`);
    if (c.readinessProbe?.httpGet?.path !== '/readyz') problems.push(`${at}: readinessProbe must GET /readyz`);
    const preStop = preStopSeconds(c);
    if (preStop <= 0) problems.push(`${at}: no preStop sleep (endpoints must drain before SIGTERM)`);
    const grace = Number(pod.terminationGracePeriodSeconds ?? 30);
    if (grace < preStop + DRAIN_SECONDS) {
      problems.push(`${at}: terminationGracePeriodSeconds ${grace} < preStop ${preStop} s + drain ${DRAIN_SECONDS} s`);
    }
    const env = new Set((c.env ?? []).map((e) => e.name));
    if (!env.has(facts.portVariable)) problems.push(`${at}: no ${facts.portVariable}`);
    if (!facts.verifiesTokens && env.has('JWT_SECRET')) problems.push(`${at}: gets JWT_SECRET but verifies no tokens`);
    // the connection settings follow the client libraries the service depends on
    const deps = workspace.get(facts.packageName)?.dependencies ?? {};
    for (const [client, variable] of Object.entries(SERVER_CLIENTS)) {
      const uses = client in deps;
      if (uses && !env.has(variable)) problems.push(`${at}: depends on ${client} but gets no ${variable}`);
      if (!uses && env.has(variable)) problems.push(`${at}: gets ${variable} but does not depend on ${client}`);
    }
  }
  if (component === 'message-router' && partitions !== undefined && Number(d.spec?.replicas ?? 1) > partitions) {
    problems.push(`${where}: ${d.spec.replicas} replicas exceed ROUTER_PARTITIONS=${partitions}`);
  }
  return problems;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

interface IngressPath {
  path: string;
  pathType: string;
  component: string;
}

const routes = (path: IngressPath, route: string) =>
  path.pathType === 'Exact'
    ? route === path.path
    : route === path.path || route.startsWith(path.path.endsWith('/') ? path.path : `${path.path}/`);

/**
 * The web app's client-side routes (/rooms/…, /posts/…) are API paths too: a host that sends any path to
 * the web app must send nothing to the APIs, and every route (`webRoutes`, `:param`s filled in) to it, or
 * a reload or a shared link would reach an API or a 404.
 */
function webIngressProblems(ingresses: K8sObject[], services: K8sObject[], webRoutes: string[]): string[] {
  const problems: string[] = [];
  const componentOf = (name: string | undefined) =>
    services.find((s) => s.metadata.name === name)?.metadata.labels?.['app.kubernetes.io/component'] ?? '';
  const byHost = new Map<string, IngressPath[]>();
  for (const ingress of ingresses) {
    for (const rule of ingress.spec?.rules ?? []) {
      const paths = byHost.get(rule.host ?? '*') ?? [];
      for (const p of rule.http?.paths ?? [])
        paths.push({ path: p.path, pathType: p.pathType, component: componentOf(p.backend?.service?.name) });
      byHost.set(rule.host ?? '*', paths);
    }
  }
  const web = SERVICES.filter((s) => !s.verifiesTokens).map((s) => s.name);
  for (const [host, paths] of byHost) {
    const toWeb = paths.filter((p) => web.includes(p.component));
    if (toWeb.length === 0) continue;
    const others = [...new Set(paths.filter((p) => !web.includes(p.component)).map((p) => p.path))];
    if (others.length > 0)
      problems.push(`Ingress host ${host}: the web app shares it with ${others.join(', ')} (its routes are API paths)`);
    for (const route of webRoutes.map((r) => r.replace(/:[^/]+/g, 'x'))) {
      if (!toWeb.some((p) => routes(p, route)))
        problems.push(`Ingress host ${host}: the web app's ${route} is not routed`);
    }
  }
  return problems;
}

/** Problems of a whole rendering; `expect` lists kinds that must be present; `webRoutes` the app's routes. */
export function checkManifests(
  objects: K8sObject[],
  workspace: Workspace,
  expect: string[] = [],
  webRoutes: string[] = [],
): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const partitionsText = byKind('ConfigMap').find((c) => c.data?.ROUTER_PARTITIONS)?.data?.ROUTER_PARTITIONS;
  const partitions = partitionsText === undefined ? undefined : Number(partitionsText);
  const deployments = byKind('Deployment');
  for (const svc of SERVICES) {
    if (!deployments.some((d) => d.metadata.labels?.['app.kubernetes.io/component'] === svc.name)) {
      problems.push(`no Deployment for ${svc.name}`);
    }
  }
  for (const d of deployments) problems.push(...deploymentProblems(d, workspace, partitions));
  for (const p of byKind('Pod')) {
    for (const c of (p.spec?.containers ?? []) as Container[])
      problems.push(...containerProblems(`Pod ${p.metadata.name}/${c.name}`, c, p.spec));
  }
  for (const job of byKind('Job')) {
    const pod = job.spec?.template?.spec ?? {};
    for (const c of (pod.containers ?? []) as Container[])
      problems.push(...containerProblems(`Job ${job.metadata.name}/${c.name}`, c, pod));
    if (pod.automountServiceAccountToken !== false)
      problems.push(`Job ${job.metadata.name}: automountServiceAccountToken must be false`);
  }
  const podLabels = deployments.map((d) => (d.spec?.template?.metadata?.labels ?? {}) as Record<string, string>);
  const services = byKind('Service');
  for (const s of services) {
    if (!podLabels.some((labels) => matches(s.spec?.selector ?? {}, labels)))
      problems.push(`Service ${s.metadata.name} selects no pods`);
  }
  for (const kind of ['PodDisruptionBudget']) {
    for (const o of byKind(kind)) {
      if (!podLabels.some((labels) => matches(o.spec?.selector?.matchLabels ?? {}, labels)))
        problems.push(`${kind} ${o.metadata.name} selects no pods`);
    }
  }
  // with NetworkPolicies on, every service's pods are behind one (nothing reachable by accident)
  const policies = byKind('NetworkPolicy');
  if (policies.length > 0) {
    for (const d of deployments) {
      const labels = (d.spec?.template?.metadata?.labels ?? {}) as Record<string, string>;
      if (!policies.some((np) => matches(np.spec?.podSelector?.matchLabels ?? {}, labels)))
        problems.push(`Deployment ${d.metadata.name}: no NetworkPolicy selects its pods`);
    }
    for (const np of policies) {
      if (!podLabels.some((labels) => matches(np.spec?.podSelector?.matchLabels ?? {}, labels)))
        problems.push(`NetworkPolicy ${np.metadata.name} selects no pods`);
      if (!(np.spec?.policyTypes ?? []).includes('Ingress'))
        problems.push(`NetworkPolicy ${np.metadata.name}: not for Ingress`);
    }
  }
  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const target = hpa.spec?.scaleTargetRef?.name;
    const deployment = deployments.find((d) => d.metadata.name === target);
    if (!deployment) problems.push(`HorizontalPodAutoscaler ${hpa.metadata.name} targets missing Deployment ${target}`);
    else if (deployment.spec?.replicas !== undefined) {
      problems.push(
        `Deployment ${target} sets replicas although an HPA scales it (every upgrade would reset the count)`,
      );
    }
  }
  for (const ingress of byKind('Ingress')) {
    for (const rule of ingress.spec?.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        const backend = p.backend?.service;
        const service = services.find((s) => s.metadata.name === backend?.name);
        if (!service)
          problems.push(`Ingress ${ingress.metadata.name}: ${p.path} goes to missing Service ${backend?.name}`);
        else if (!(service.spec?.ports ?? []).some((port: { name?: string }) => port.name === backend?.port?.name)) {
          problems.push(
            `Ingress ${ingress.metadata.name}: ${p.path} names a port Service ${backend?.name} does not have`,
          );
        }
        if (String(p.path).startsWith('/admin')) problems.push(`Ingress ${ingress.metadata.name}: exposes ${p.path}`);
      }
    }
  }
  problems.push(...webIngressProblems(byKind('Ingress'), services, webRoutes));
  for (const kind of expect) if (byKind(kind).length === 0) problems.push(`no ${kind} rendered`);
  return problems;
}
