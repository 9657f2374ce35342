import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { RedisSpec } from "../../../config/schema/agents";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../k8s/hardening";
import { AUTH_CONF_DIR, CONFIG_DIR, REDIS_AUTH_SECRET, REDIS_GID, REDIS_LABELS, REDIS_PORT, REDIS_SELECTOR, REDIS_UID } from "./names";

/**
 * redis.conf for the location registry. The password is not in here: it is
 * `include`d from a Secret-mounted file, so it never sits in a ConfigMap or
 * on the command line.
 */
export function redisConfig(redis: RedisSpec): string {
    return [
        "# Rustic AI location registry (managed by picluster)",
        `port ${REDIS_PORT}`,
        "dir /data",
        `maxmemory ${redis.maxmemory}`,
        // See redisEvictionPolicies in config/schema/agents.ts for why not allkeys-lru.
        `maxmemory-policy ${redis.maxmemoryPolicy}`,
        // Locations are rebuilt by heartbeats within a minute; persistence buys nothing.
        'save ""',
        "appendonly no",
        "tcp-keepalive 60",
        "timeout 300",
        `include ${AUTH_CONF_DIR}/auth.conf`,
        "",
    ].join("\n");
}

/** The auth Secret's data: the password, the URL the agent hosts use, and the `requirepass` include. */
export function redisAuthData(password: string): Record<string, string> {
    return {
        password,
        url: `redis://:${password}@redis:${REDIS_PORT}/0`,
        "auth.conf": `requirepass ${password}\n`,
    };
}

/**
 * The Redis Deployment spec: one replica (a second would be a second, empty
 * registry), no persistence, restricted security context, the config
 * mounted read-only and rolled on change through its hash.
 */
export function redisDeploymentSpec(
    redis: RedisSpec,
    refs: { configMapName: pulumi.Input<string>; authSecretName: pulumi.Input<string>; nodeSelector?: Record<string, string> },
): k8s.types.input.apps.v1.DeploymentSpec {
    const conf = redisConfig(redis);
    return {
        replicas: 1,
        strategy: { type: "Recreate" },
        selector: { matchLabels: REDIS_SELECTOR },
        template: {
            // The hash rolls Redis when its config changes (the Secret is stable).
            metadata: { labels: REDIS_LABELS, annotations: { "picluster.dev/config-sha256": createHash("sha256").update(conf).digest("hex") } },
            spec: {
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: restrictedPodSecurityContext(REDIS_UID, REDIS_GID),
                nodeSelector: refs.nodeSelector,
                containers: [
                    {
                        name: "redis",
                        image: redis.image,
                        command: ["redis-server", `${CONFIG_DIR}/redis.conf`],
                        ports: [{ containerPort: REDIS_PORT, name: "redis", protocol: "TCP" }],
                        // redis-cli reads the password from REDISCLI_AUTH, keeping it out of argv.
                        env: [{ name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: REDIS_AUTH_SECRET, key: "password" } } }],
                        resources: redis.resources,
                        livenessProbe: { tcpSocket: { port: "redis" }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
                        readinessProbe: {
                            exec: { command: ["sh", "-c", "redis-cli --no-auth-warning ping | grep -q PONG"] },
                            initialDelaySeconds: 5,
                            periodSeconds: 5,
                            timeoutSeconds: 3,
                            failureThreshold: 3,
                        },
                        securityContext: restrictedContainerSecurityContext(REDIS_UID, true, REDIS_GID),
                        volumeMounts: [
                            { name: "config", mountPath: CONFIG_DIR, readOnly: true },
                            { name: "auth", mountPath: AUTH_CONF_DIR, readOnly: true },
                            { name: "data", mountPath: "/data" },
                        ],
                    },
                ],
                volumes: [
                    { name: "config", configMap: { name: refs.configMapName } },
                    { name: "auth", secret: { secretName: refs.authSecretName, items: [{ key: "auth.conf", path: "auth.conf" }], defaultMode: 0o440 } },
                    { name: "data", emptyDir: { sizeLimit: "64Mi" } },
                ],
            },
        },
    };
}
