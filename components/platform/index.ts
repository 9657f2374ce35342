// Public surface of the platform components, for index.ts and the agents components.
export { Platform, databasesFor, namespacePlan, NAMESPACES, type PlatformArgs } from "./platform";
export { platformDemands } from "./demands";
export {
    checkCapacity,
    planCapacity,
    nodeCapacities,
    formatNodePlan,
    formatArchSummary,
    CapacityError,
    DEFAULT_CAPACITY,
    type WorkloadDemand,
    type NodeCapacity,
    type CapacityPlan,
} from "./capacity";
export { HelmService, releaseArgs, releaseValues, type HelmServiceArgs, type ChartRef } from "./helmService";
export { PlatformNamespace, type NamespaceRef } from "./namespace";
export { Ollama, OLLAMA_NAMESPACE, OLLAMA_SERVICE, OLLAMA_PORT } from "./services/ollama";
export { Postgres, type DatabaseCredentials } from "./services/postgres";
export { RocketChat } from "./services/rocketchat";
export { Monitoring } from "./services/monitoring";
export { PiDashboards, piNodesDashboard } from "./services/dashboards";
export { CatalogRelease, catalogPresets } from "./services/catalog";
export { App } from "./app";
