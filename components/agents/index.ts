export { AgentHostPool, type AgentHostPoolArgs, GRPC_PORT, hpaBehavior, redisConfig } from "./agentHostPool";
export { AGENT_HOST_NAMESPACE, agentHostDemand, type WorkloadDemand } from "./demand";
export { JOB_RULES } from "./jobAdmission";
export { jobManifest, renderJobTemplate } from "./jobTemplate";
export { clusterEndpoint, scopedKubeconfig } from "./scopedKubeconfig";
export { ORCHESTRATOR_RULES, WorkerAgents, type WorkerAgentsArgs, renderJobTemplates } from "./workerAgents";
