import { describe, expect, it } from 'vitest';
import { checkManifests, type K8sObject } from './manifest-policy.js';
import type { Workspace, WorkspacePackage } from './workspace.js';

const pkg = (name: string, deps: string[]): [string, WorkspacePackage] => [
  name,
  {
    name,
    dir: `apps/${name.split('/')[1]}`,
    dependencies: Object.fromEntries(deps.map((d) => [d, '1.0.0'])),
    devDependencies: {},
  },
];

const workspace: Workspace = new Map([
  pkg('@coffeechat/gateway', ['amqplib']),
  pkg('@coffeechat/message-router', ['amqplib', 'mongodb']),
  pkg('@coffeechat/presence', ['amqplib', 'ioredis']),
  pkg('@coffeechat/feed', ['amqplib', 'ioredis', 'mongodb']),
  pkg('@coffeechat/web', ['express']),
]);

const ports: Record<string, [string, string[]]> = {
  gateway: ['GATEWAY_PORT', ['AMQP_URL']],
  'message-router': ['ROUTER_PORT', ['AMQP_URL', 'MONGO_URL']],
  presence: ['PRESENCE_PORT', ['AMQP_URL', 'REDIS_URL']],
  feed: ['FEED_PORT', ['AMQP_URL', 'REDIS_URL', 'MONGO_URL']],
  web: ['WEB_PORT', ['WEB_GATEWAY_URL']],
};

function deployment(component: string, replicas = 2): K8sObject {
  const [portVariable, urls] = ports[component] ?? ['', []];
  const labels = { 'app.kubernetes.io/component': component };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `cc-${component}`, labels },
    spec: {
      replicas,
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 20,
          containers: [
            {
              name: component,
              env: [portVariable, ...urls].map((name) => ({ name, value: 'x' })),
              livenessProbe: { httpGet: { path: '/healthz' } },
              readinessProbe: { httpGet: { path: '/readyz' } },
              lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
}

const configMap = (partitions: number): K8sObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cc' },
  data: { ROUTER_PARTITIONS: String(partitions) },
});

const all = (routerReplicas = 2) => [
  configMap(4),
  ...['gateway', 'presence', 'feed'].map((c) => deployment(c)),
  deployment('message-router', routerReplicas),
  deployment('web'),
];

const service = (component: string): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `cc-${component}`, labels: { 'app.kubernetes.io/component': component } },
  spec: { selector: { 'app.kubernetes.io/component': component }, ports: [{ name: 'http' }] },
});

const ingress = (name: string, host: string, paths: [string, string, string][]): K8sObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name },
  spec: {
    rules: [
      {
        host,
        http: {
          paths: paths.map(([path, pathType, component]) => ({
            path,
            pathType,
            backend: { service: { name: `cc-${component}`, port: { name: 'http' } } },
          })),
        },
      },
    ],
  },
});

const WEB_ROUTES = ['/', '/rooms/:roomId', '/posts', '/posts/:postId/edit'];

describe('checkManifests', () => {
  it('accepts hardened deployments with the settings each service uses', () => {
    expect(checkManifests(all(), workspace)).toEqual([]);
  });

  it('refuses more routers than partitions', () => {
    expect(checkManifests(all(5), workspace)).toEqual([
      'Deployment cc-message-router: 5 replicas exceed ROUTER_PARTITIONS=4',
    ]);
  });

  it('follows the client libraries: no Redis URL for a service without ioredis, a Mongo URL for one with mongodb', () => {
    const objects = all();
    const gateway = objects[1];
    gateway?.spec.template.spec.containers[0].env.push({ name: 'REDIS_URL', value: 'redis://r' });
    const router = objects[4];
    router?.spec.template.spec.containers[0].env.pop();
    expect(checkManifests(objects, workspace)).toEqual([
      'Deployment cc-gateway/gateway: gets REDIS_URL but does not depend on ioredis',
      'Deployment cc-message-router/message-router: depends on mongodb but gets no MONGO_URL',
    ]);
  });

  it('wants a grace period covering the preStop sleep and the 10 s drain, and a read-only root', () => {
    const objects = all();
    const feed = objects[3];
    if (!feed) throw new Error('no feed');
    feed.spec.template.spec.terminationGracePeriodSeconds = 12;
    feed.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    expect(checkManifests(objects, workspace)).toEqual([
      'Deployment cc-feed/feed: readOnlyRootFilesystem must be true',
      'Deployment cc-feed/feed: terminationGracePeriodSeconds 12 < preStop 5 s + drain 10 s',
    ]);
  });

  it('finds a missing service and an Ingress route to /admin', () => {
    const objects = all().filter((o) => o.metadata.name !== 'cc-presence');
    objects.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'api' },
      spec: {
        rules: [
          { http: { paths: [{ path: '/admin', backend: { service: { name: 'nope', port: { name: 'http' } } } }] } },
        ],
      },
    });
    expect(checkManifests(objects, workspace)).toEqual([
      'no Deployment for presence',
      'Ingress api: /admin goes to missing Service nope',
      'Ingress api: exposes /admin',
    ]);
  });

  it('wants every service behind a NetworkPolicy once there is one, and hook Jobs as hardened as the pods', () => {
    const policy = (component: string): K8sObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `cc-${component}` },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/component': component } }, policyTypes: ['Ingress'] },
    });
    const objects = [
      ...all(),
      policy('gateway'),
      policy('message-router'),
      policy('presence'),
      policy('web'),
      policy('nothing'),
    ];
    objects.push({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'cc-broker-users' },
      spec: { template: { spec: { containers: [{ name: 'broker-users', securityContext: { runAsNonRoot: true } }] } } },
    });
    expect(checkManifests(objects, workspace)).toEqual([
      'Job cc-broker-users/broker-users: allowPrivilegeEscalation must be false',
      'Job cc-broker-users/broker-users: readOnlyRootFilesystem must be true',
      'Job cc-broker-users/broker-users: capabilities must drop ALL',
      'Job cc-broker-users/broker-users: no cpu/memory requests',
      'Job cc-broker-users/broker-users: no memory limit',
      'Job cc-broker-users: automountServiceAccountToken must be false',
      'Deployment cc-feed: no NetworkPolicy selects its pods',
      'NetworkPolicy cc-nothing selects no pods',
    ]);
  });

  it('gives the web app no JWT secret', () => {
    const objects = all();
    objects[5]?.spec.template.spec.containers[0].env.push({ name: 'JWT_SECRET', valueFrom: {} });
    expect(checkManifests(objects, workspace)).toEqual([
      'Deployment cc-web/web: gets JWT_SECRET but verifies no tokens',
    ]);
  });

  it('wants the web app on a host of its own with every client-side route routed to it', () => {
    const objects = [...all(), service('web'), service('message-router')];
    const web = ingress('web', 'app.example.com', [
      ['/', 'Exact', 'web'],
      ['/rooms', 'Prefix', 'web'],
      ['/posts', 'Prefix', 'web'],
    ]);
    expect(checkManifests([...objects, web], workspace, [], WEB_ROUTES)).toEqual([]);
    const shared = ingress('web', 'chat.example.com', [
      ['/', 'Exact', 'web'],
      ['/posts/', 'Prefix', 'web'],
    ]);
    const api = ingress('api', 'chat.example.com', [['/rooms', 'Prefix', 'message-router']]);
    expect(checkManifests([...objects, shared, api], workspace, [], WEB_ROUTES)).toEqual([
      'Ingress host chat.example.com: the web app shares it with /rooms (its routes are API paths)',
      "Ingress host chat.example.com: the web app's /rooms/x is not routed",
      "Ingress host chat.example.com: the web app's /posts is not routed",
    ]);
  });
});
