/** The gRPC port upstream's agent host listens on (GRPC_PORT). */
export const GRPC_PORT = 50051;
export const REDIS_PORT = 6379;
/** uid of the `rustic` user in rustic-ai's k8s/Dockerfile. */
export const AGENT_HOST_UID = 1000;
/** uid/gid of the `redis` user in the official redis alpine image. */
export const REDIS_UID = 999;
export const REDIS_GID = 1000;

export const REDIS_AUTH_SECRET = "redis-auth";
export const AUTH_CONF_DIR = "/secrets";
export const CONFIG_DIR = "/config";

export const HOST_LABELS = { app: "agent-host", component: "execution-engine", "app.kubernetes.io/part-of": "rustic-ai" };
export const REDIS_LABELS = { app: "redis", component: "location-registry", "app.kubernetes.io/part-of": "rustic-ai" };
export const HOST_SELECTOR = { app: "agent-host" };
export const REDIS_SELECTOR = { app: "redis" };
