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
export { Ollama, OLLAMA_NAMESPACE, OLLAMA_SERVICE, OLLAMA_PORT } from "./ollama";
export { Postgres, type DatabaseCredentials } from "./postgres";
export { RocketChat } from "./rocketchat";
export { Monitoring } from "./monitoring";
export { PiDashboards, piNodesDashboard } from "./dashboards";
export { CatalogRelease, catalogPresets } from "./catalog";
export { App } from "./app";
